//! Deterministic payload bytes for synthetic files.
//!
//! Real packages are mostly text, scripts and binaries that compress 2-4x; random bytes would
//! not compress at all and words from a tiny vocabulary would compress too well. The generator
//! emits lines of pseudo-words from a seeded PRNG, which zstd compresses about 3x.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SYLLABLES: &[&str] = &[
    "al", "ma", "ro", "ky", "cen", "to", "sys", "tem", "d", "lib", "ssl", "net", "work", "man",
    "ager", "ker", "nel", "mod", "ule", "conf", "dnf", "rpm", "boot", "init", "ram", "fs", "xfs",
    "ext", "lvm", "grub", "efi", "pam", "ssh", "sel", "inux", "po", "licy", "fire", "wall", "zone",
];

/// `size` bytes of seeded pseudo-text.
pub fn pseudo_text(seed: u64, size: usize) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(size + 16);
    while out.len() < size {
        let words = rng.gen_range(3..12);
        for w in 0..words {
            if w > 0 {
                out.push(b' ');
            }
            for _ in 0..rng.gen_range(1..4) {
                out.extend_from_slice(SYLLABLES[rng.gen_range(0..SYLLABLES.len())].as_bytes());
            }
            if rng.gen_bool(0.2) {
                let n: u32 = rng.r#gen();
                out.extend_from_slice(format!("{:x}", n).as_bytes());
            }
        }
        out.push(b'\n');
    }
    out.truncate(size);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        assert_eq!(pseudo_text(7, 1000), pseudo_text(7, 1000));
        assert_ne!(pseudo_text(7, 1000), pseudo_text(8, 1000));
        assert_eq!(pseudo_text(1, 12345).len(), 12345);
        assert!(pseudo_text(1, 0).is_empty());
    }
}
