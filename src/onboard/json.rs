//! Policy JSON in the order people write it (`Sid`, `Effect`, `Principal`, `Action`, …): the
//! crate's `serde_json` sorts object keys, which makes generated policies hard to compare with
//! the vendors' guides.

/// A JSON value whose objects keep their field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum J {
    /// A string.
    Str(String),
    /// An array.
    List(Vec<J>),
    /// An object, in field order.
    Obj(Vec<(String, J)>),
}

impl J {
    /// A string.
    pub fn s(text: &str) -> J {
        J::Str(text.to_owned())
    }

    /// An array of strings.
    pub fn list(items: &[String]) -> J {
        J::List(items.iter().map(|i| J::s(i)).collect())
    }

    /// An object from borrowed keys.
    pub fn obj(fields: Vec<(&str, J)>) -> J {
        J::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A policy document holding `statements`.
    pub fn policy(statements: Vec<J>) -> J {
        J::obj(vec![("Version", J::s("2012-10-17")), ("Statement", J::List(statements))])
    }

    /// Indented text, two spaces a level; short string arrays stay on one line.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, level: usize) {
        let pad = |n: usize| "  ".repeat(n);
        match self {
            J::Str(s) => out.push_str(&quote(s)),
            J::List(items) => {
                let all_strings = items.iter().all(|i| matches!(i, J::Str(_)));
                let inline: Vec<String> = items
                    .iter()
                    .filter_map(|i| if let J::Str(s) = i { Some(quote(s)) } else { None })
                    .collect();
                if all_strings && inline.iter().map(|s| s.len() + 2).sum::<usize>() < 80 {
                    out.push('[');
                    out.push_str(&inline.join(", "));
                    out.push(']');
                    return;
                }
                out.push_str("[\n");
                for (n, item) in items.iter().enumerate() {
                    out.push_str(&pad(level + 1));
                    item.write(out, level + 1);
                    out.push_str(if n + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(level));
                out.push(']');
            }
            J::Obj(fields) => {
                out.push_str("{\n");
                for (n, (key, value)) in fields.iter().enumerate() {
                    out.push_str(&pad(level + 1));
                    out.push_str(&quote(key));
                    out.push_str(": ");
                    value.write(out, level + 1);
                    out.push_str(if n + 1 < fields.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(level));
                out.push('}');
            }
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_parses_back() {
        let doc = J::policy(vec![J::obj(vec![
            ("Sid", J::s("S")),
            ("Effect", J::s("Allow")),
            ("Action", J::list(&["sts:AssumeRole".into()])),
            ("Resource", J::s("arn:aws:iam::111122223333:role/\"q\"")),
        ])]);
        let text = doc.pretty();
        assert!(text.find("\"Sid\"") < text.find("\"Effect\""), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["Statement"][0]["Resource"], "arn:aws:iam::111122223333:role/\"q\"");
    }
}
