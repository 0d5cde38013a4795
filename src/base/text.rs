//! Text made inert for whoever reads it: a terminal, a spreadsheet, a SIEM.
//!
//! Log content is attacker-controlled (a user name, a host, a URL), and it reaches people
//! through tables printed on a terminal, CSV files opened in a spreadsheet and CEF lines parsed
//! by a SIEM. Each of those has characters that act instead of being shown: control characters
//! and escape sequences move the cursor, rewrite the screen or split a row; a cell starting
//! with `=` is a formula; a line break ends a CEF event.

use std::borrow::Cow;

/// Characters that act rather than show: C0 controls, DEL, C1 controls, the Unicode line and
/// paragraph separators, and the bidirectional overrides and isolates (which reorder text
/// on screen).
pub fn is_active(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}'
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every active character written as an escape a person can read: `\n`, `\r`,
/// `\t`, `\x1b`, `\u{2028}`. Borrowed when there is nothing to escape (the usual case).
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_active) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_active(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_active(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`inert`], cut to `max` characters (with `…` and how many were left out) so that a
/// 100,000-character name does not bury a table.
pub fn cell(s: &str, max: usize) -> Cow<'_, str> {
    let t = inert(s);
    let n = t.chars().count();
    if n <= max {
        return t;
    }
    let keep: String = t.chars().take(max.saturating_sub(1)).collect();
    Cow::Owned(format!("{keep}…(+{} chars)", n - keep.chars().count()))
}

/// A CSV cell a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return is prefixed with `'` (OWASP's rule for CSV injection).
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_characters_are_shown_not_obeyed() {
        assert!(matches!(inert("alice@corp.example"), Cow::Borrowed(_)));
        assert_eq!(inert("jürgen"), "jürgen");
        assert_eq!(inert("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(inert("\u{1b}[2J\u{7}x"), "\\x1b[2J\\x07x");
        assert_eq!(
            inert("x\u{9b}31m\u{2028}y\u{202e}z"),
            "x\\u{009b}31m\\u{2028}y\\u{202e}z"
        );
        assert!(!inert("\u{1b}]0;pwned\u{7}").chars().any(is_active));
    }

    #[test]
    fn long_cells_are_cut_with_a_count() {
        let long = "a".repeat(100_000);
        let c = cell(&long, 50);
        assert_eq!(c.chars().count(), 49 + "…(+99951 chars)".chars().count());
        assert!(c.ends_with("…(+99951 chars)"));
        assert_eq!(cell("short", 50), "short");
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for s in ["+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(csv_safe(s).starts_with('\''), "{s}");
        }
        assert_eq!(csv_safe("dropbox"), "dropbox");
        assert_eq!(csv_safe(""), "");
    }
}
