//! Text from a cluster, a file or a user, made safe to draw or print.
//!
//! Anyone who can write an image name, an Event or a custom resource's status could
//! otherwise write control sequences (title changes, clipboard writes, screen clears) into
//! every on-call engineer's terminal. Every such string passes through [`inert`] before it
//! reaches a terminal, a table, the journal view or an Event ripcord posts.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character shown visibly: C0 controls in caret notation
/// (`ESC` as `^[`, `BEL` as `^G`, CR as `^M`, newline and tab included), DEL as `^?`, and
/// C1 controls and bidirectional overrides as `\u{..}` escapes. Printable text, including
/// any script and emoji, is unchanged and borrowed.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push('^');
            out.push(char::from(b'@' + c as u8));
        } else if c == '\u{7f}' {
            out.push_str("^?");
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `inert`, as an owned `String`.
pub fn inert_owned(text: &str) -> String {
    inert(text).into_owned()
}

/// An error and its causes on one line, made inert: a library's own message alone often
/// hides the cause (kube's "error trying to connect" without "connection refused"), and its
/// Debug form is a dump no user should read. A cause already in the text is not repeated.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    inert_owned(&text)
}

/// Whether `text` is already safe to put on a terminal as it is.
pub fn is_inert(text: &str) -> bool {
    !text.chars().any(needs_escape)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional embeddings, overrides and isolates reorder what follows them
            // (the "Trojan Source" trick); line and paragraph separators break a row.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_names_each_cause_once_on_one_inert_line() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let err = E(
            "connect failed: timed out",
            Some(Box::new(E(
                "timed out",
                Some(Box::new(E("refused\x1b[2J", None))),
            ))),
        );
        assert_eq!(error_chain(&err), "connect failed: timed out: refused^[[2J");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "payments-api ⚠ 漢字 ✔ registry.example.com/app:1.2@sha256:ab";
        assert!(matches!(inert(text), Cow::Borrowed(t) if t == text));
        assert!(is_inert(text));
    }

    #[test]
    fn escape_sequences_lose_their_escape() {
        assert_eq!(inert("nginx:1.25\x1b]0;PWN\x07"), "nginx:1.25^[]0;PWN^G");
        assert_eq!(inert("a\x1b[2Jb\rc\nd\te"), "a^[[2Jb^Mc^Jd^Ie");
        assert_eq!(inert("del\x7f"), "del^?");
        assert_eq!(inert("nul\0"), "nul^@");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped() {
        // U+009B is the single-character CSI: as dangerous as ESC [.
        assert_eq!(inert("x\u{9b}2J"), "x\\u{9b}2J");
        assert_eq!(inert("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(inert("a\u{2028}b"), "a\\u{2028}b");
        assert!(!is_inert("\u{9d}52;c;cm0gLXJm\u{7}"));
    }

    #[test]
    fn output_never_contains_a_control_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(is_inert(&inert(&all)));
        assert!(!inert(&all).chars().any(char::is_control));
    }
}
