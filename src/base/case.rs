//! Case-insensitive text without copies where none is needed: policy filters and the anomaly
//! detections compare names and actions ignoring case on every activity.
//!
//! Owns: these helpers. Must not touch: what is compared.

use std::borrow::Cow;

/// `s` in lower case (`str::to_lowercase`), copied only when it has an upper-case ASCII letter
/// or any non-ASCII character (which may or may not change).
pub fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether `hay` contains `needle` (lower-case ASCII, not empty), ignoring ASCII case: what
/// `hay.to_ascii_lowercase().contains(needle)` says, without the copy.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    debug_assert!(!needle.is_empty(), "windows(0) panics");
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn they_say_what_the_copying_std_calls_say() {
        let texts = [
            "",
            "eve@contoso.com",
            "Eve@Contoso.COM",
            "ΟΔΥΣΣΕΥΣ@example.gr", // a final sigma: to_lowercase's special case
            "İstanbul",
            "straße",
            "NonInteractiveUserSignInLogs",
            "signInLogs (non-INTERACTIVE)",
            "managedidentit",
            "ü-noninteractive",
        ];
        for t in texts {
            assert_eq!(lower(t), t.to_lowercase(), "{t}");
            for n in ["noninteractive", "non-interactive", "managedidentity", "e"] {
                assert_eq!(contains_ci(t, n), t.to_ascii_lowercase().contains(n), "{t} / {n}");
            }
        }
        assert!(matches!(lower("eve@contoso.com"), Cow::Borrowed(_)));
    }
}
