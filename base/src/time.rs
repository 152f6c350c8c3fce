//! Timestamps as leapfrog writes them into its documents and logs: RFC 3339, UTC, seconds.

/// Now, as `2026-12-02T15:39:49Z`.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_rfc3339_seconds_utc() {
        let t = super::now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z'), "{t}");
        humantime::parse_rfc3339(&t).unwrap();
    }
}
