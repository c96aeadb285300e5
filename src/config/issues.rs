//! A problem found in a config file, located by line and column so that
//! `ripcord config check` reads like a compiler diagnostic.

use std::fmt;
use std::ops::Range;

/// One problem in one file. `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub problem: String,
    pub expected: String,
}

impl ConfigIssue {
    /// An issue about a whole file (unreadable, missing a required key...).
    pub fn new(
        file: impl Into<String>,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line: None,
            column: None,
            problem: problem.into(),
            expected: expected.into(),
        }
    }

    /// An issue at a byte span of `src`; only the span's start matters.
    pub fn at(
        file: impl Into<String>,
        src: &str,
        span: Range<usize>,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(src, span.start);
        Self {
            file: file.into(),
            line: Some(line),
            column: Some(column),
            problem: problem.into(),
            expected: expected.into(),
        }
    }

    /// Turns a TOML syntax (or deserialisation) error into an issue.
    pub fn from_toml(file: impl Into<String>, src: &str, err: &toml::de::Error) -> Self {
        let (problem, expected) = split_toml_message(err.message());
        match err.span() {
            Some(span) => Self::at(file, src, span, problem, expected),
            None => Self::new(file, problem, expected),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.problem)?;
        if !self.expected.is_empty() {
            write!(f, " (expected: {})", self.expected)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigIssue {}

/// 1-based line and column (in characters) of a byte offset. Offsets past the
/// end or inside a character are clamped rather than trusted.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let bytes = src.as_bytes();
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

/// toml puts "expected ..." on its own line; that becomes our `expected`.
fn split_toml_message(message: &str) -> (String, String) {
    // Our span-keeping reader cannot hold dates; say so plainly instead of
    // leaking toml's private marker name.
    if message.contains("$__toml_private_datetime") {
        return (
            "dates and times are not allowed here".to_string(),
            "a string, number, boolean, array or table".to_string(),
        );
    }
    let mut problem = Vec::new();
    let mut expected = Vec::new();
    for line in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.strip_prefix("expected ") {
            Some(rest) => expected.push(rest.to_string()),
            None => problem.push(line.to_string()),
        }
    }
    let problem = if problem.is_empty() {
        "invalid TOML".to_string()
    } else {
        format!("invalid TOML: {}", problem.join("; "))
    };
    let expected = if expected.is_empty() {
        "valid TOML".to_string()
    } else {
        expected.join("; ")
    };
    (problem, expected)
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Plain Levenshtein distance; the inputs are short config words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// "unknown X `w`" plus a "did you mean" hint when one candidate is close.
pub(crate) fn unknown(what: &str, word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates.iter().copied()) {
        Some(c) => format!("unknown {what} `{word}` (did you mean `{c}`?)"),
        None => format!("unknown {what} `{word}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 999), (3, 1));
        // Inside a multi-byte character: clamped, not a panic.
        assert_eq!(line_col(src, 8).0, 2);
    }

    #[test]
    fn display_reads_like_a_diagnostic() {
        let issue = ConfigIssue::at("k.toml", "x\ny", 2..3, "bad", "good");
        assert_eq!(issue.to_string(), "k.toml:2:1: bad (expected: good)");
        let issue = ConfigIssue::new("k.toml", "unreadable", "");
        assert_eq!(issue.to_string(), "k.toml: unreadable");
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(closest("restrat", ["restart", "resume"]), Some("restart"));
        assert_eq!(closest("zzz", ["restart", "resume"]), None);
    }
}
