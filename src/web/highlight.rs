//! A small Python highlighter for the generated test files: it splits source into
//! classed tokens, and the template escapes every token as it prints it.

/// A run of source text of one class (`kw`, `str`, `com`, `num`, `dec`, or `` for plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub class: &'static str,
    pub text: String,
}

/// One source line.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub number: usize,
    pub tokens: Vec<Token>,
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Splits `source` into highlighted lines; triple-quoted strings may span lines.
pub fn python(source: &str) -> Vec<Line> {
    let mut open_triple: Option<&'static str> = None;
    source
        .lines()
        .enumerate()
        .map(|(i, text)| Line {
            number: i + 1,
            tokens: line(text, &mut open_triple),
        })
        .collect()
}

fn push(tokens: &mut Vec<Token>, class: &'static str, text: &str) {
    if text.is_empty() {
        return;
    }
    match tokens.last_mut() {
        Some(last) if last.class == class => last.text.push_str(text),
        _ => tokens.push(Token {
            class,
            text: text.to_owned(),
        }),
    }
}

fn line(text: &str, open_triple: &mut Option<&'static str>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = text;
    if let Some(quote) = *open_triple {
        match rest.find(quote) {
            Some(end) => {
                push(&mut tokens, "str", &rest[..end + 3]);
                rest = &rest[end + 3..];
                *open_triple = None;
            }
            None => {
                push(&mut tokens, "str", rest);
                return tokens;
            }
        }
    }
    while let Some(c) = rest.chars().next() {
        let taken = match c {
            '#' => {
                push(&mut tokens, "com", rest);
                return tokens;
            }
            '"' | '\'' => string(rest, c, &mut tokens, open_triple),
            '@' if tokens.iter().all(|t| t.text.trim().is_empty()) => {
                let end = word_end(&rest[1..]) + 1;
                push(&mut tokens, "dec", &rest[..end]);
                end
            }
            c if c.is_ascii_digit() => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .unwrap_or(rest.len());
                push(&mut tokens, "num", &rest[..end]);
                end
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = word_end(rest);
                let word = &rest[..end];
                let class = if KEYWORDS.contains(&word) { "kw" } else { "" };
                push(&mut tokens, class, word);
                end
            }
            c => {
                push(&mut tokens, "", &rest[..c.len_utf8()]);
                c.len_utf8()
            }
        };
        rest = &rest[taken..];
        if open_triple.is_some() {
            break;
        }
    }
    tokens
}

fn word_end(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// Pushes the string starting at `rest` and returns its length in bytes.
fn string(
    rest: &str,
    quote: char,
    tokens: &mut Vec<Token>,
    open_triple: &mut Option<&'static str>,
) -> usize {
    let triple = if quote == '"' { "\"\"\"" } else { "'''" };
    if rest.starts_with(triple) {
        return match rest[3..].find(triple) {
            Some(end) => {
                push(tokens, "str", &rest[..end + 6]);
                end + 6
            }
            None => {
                push(tokens, "str", rest);
                *open_triple = Some(triple);
                rest.len()
            }
        };
    }
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            push(tokens, "str", &rest[..=i]);
            return i + 1;
        }
    }
    push(tokens, "str", rest);
    rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(source: &str) -> Vec<(&'static str, String)> {
        python(source)
            .into_iter()
            .flat_map(|l| l.tokens)
            .map(|t| (t.class, t.text))
            .collect()
    }

    #[test]
    fn keywords_strings_numbers_and_comments_get_their_classes() {
        let tokens = classes("def test_x():  # check\n    assert page.title == \"Log in\" or 2");

        assert!(tokens.contains(&("kw", "def".to_owned())));
        assert!(tokens.contains(&("com", "# check".to_owned())));
        assert!(tokens.contains(&("str", "\"Log in\"".to_owned())));
        assert!(tokens.contains(&("num", "2".to_owned())));
    }

    #[test]
    fn triple_quoted_strings_span_lines_and_text_is_kept_whole() {
        let source = "x = \"\"\"a\n<b>\nc\"\"\" + 'd\\'e'";

        let lines = python(source);
        let joined: Vec<String> = lines
            .iter()
            .map(|l| l.tokens.iter().map(|t| t.text.as_str()).collect())
            .collect();

        assert_eq!(joined.join("\n"), source);
        assert_eq!(lines[1].tokens[0].class, "str");
    }
}
