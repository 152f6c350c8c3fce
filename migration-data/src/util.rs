//! Shared helpers: size-limited file reading, JSON error wording and lenient number parsing.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// Files larger than this (256 MiB) are refused before being parsed.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Reads `path` completely, refusing files larger than `limit` bytes.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // Refuse FIFOs, devices and directories before opening (opening a FIFO would block).
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.len() > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: never read more than limit + 1 bytes.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

/// Words a serde_json error for a human, making the nesting limit explicit.
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.contains("recursion limit exceeded") {
        format!("JSON nested too deeply (more than 128 levels): {text}")
    } else if e.is_syntax() || e.is_eof() {
        format!("not valid JSON: {text}")
    } else {
        format!("unexpected JSON content: {text}")
    }
}

/// Builds an [`Error::Json`] for `path`.
pub(crate) fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    Error::Json {
        path: path.to_path_buf(),
        message: json_message(e),
    }
}

/// A non-negative integer written as a JSON number or as a string of decimal digits.
/// Floats, negative numbers and values that do not fit the target type are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lenient<T>(pub T);

impl<'de, T> Deserialize<'de> for Lenient<T>
where
    T: TryFrom<u64> + std::str::FromStr,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than `serde_json::Value`: PES files carry five such numbers per
        // event, and building a `Value` for each one doubled the parse time.
        d.deserialize_any(LenientVisitor(std::marker::PhantomData))
    }
}

struct LenientVisitor<T>(std::marker::PhantomData<T>);

impl<T> LenientVisitor<T> {
    fn too_large<E: serde::de::Error>(v: &dyn std::fmt::Display) -> E {
        E::custom(format!(
            "number {v} is too large ({} at most)",
            std::any::type_name::<T>()
        ))
    }
}

impl<T> serde::de::Visitor<'_> for LenientVisitor<T>
where
    T: TryFrom<u64> + std::str::FromStr,
{
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a non-negative integer")
    }

    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Self::Value, E> {
        T::try_from(u).map(Lenient).map_err(|_| Self::too_large(&u))
    }

    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Self::Value, E> {
        match u64::try_from(i) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!(
                "negative number {i} where a non-negative integer is expected"
            ))),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Self::Value, E> {
        if f.fract() == 0.0 && f > 0.0 {
            Err(Self::too_large(&f))
        } else {
            Err(E::custom(format!("{f} is not a non-negative integer")))
        }
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format!("{s:?} is not a non-negative integer")));
        }
        s.parse::<T>().map(Lenient).map_err(|_| Self::too_large(&s))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(
            "expected a non-negative integer, found a boolean",
        ))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom("expected a non-negative integer, found null"))
    }
}

/// The deepest nesting of arrays/objects accepted (serde_json's own recursion limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// Checks the shape of a JSON document before serde sees it: the top level must be an object
/// and arrays/objects must not nest deeper than [`MAX_DEPTH`]. serde_json skips ignored and
/// raw values without a depth limit, so the limit is enforced here for the whole document.
pub(crate) fn precheck_json(bytes: &[u8], path: &Path) -> Result<(), Error> {
    let bad = |message: String| Error::Json {
        path: path.to_path_buf(),
        message,
    };
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(format!(
                        "JSON nested too deeply (more than {MAX_DEPTH} levels) at byte offset {offset}"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(bad("not valid JSON: the file is empty".into())),
        Some(b'{') => {}
        Some(_) => {
            return Err(bad(
                "not valid JSON object: the top level must be an object".into(),
            ));
        }
    }
    Ok(())
}
