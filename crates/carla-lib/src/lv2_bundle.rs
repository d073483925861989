//! The plugins an LV2 bundle directory declares: the subjects its `manifest.ttl` says are
//! `a lv2:Plugin`, so that `--plugin /usr/lib/lv2/Kars.lv2` finds Kars' URI. Enough of Turtle
//! for manifests (prefixes, IRIs, prefixed names, `a`, `;`/`,`/`.` and nested `[ ]`), not a
//! general parser.

use std::collections::HashMap;
use std::path::Path;

/// `lv2:Plugin`, expanded.
const LV2_PLUGIN: &str = "http://lv2plug.in/ns/lv2core#Plugin";

/// The URIs of the plugins `bundle/manifest.ttl` declares, in its order.
pub fn plugin_uris(bundle: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(bundle.join("manifest.ttl"))?;
    Ok(plugins_in(&text))
}

/// A token of the manifest.
#[derive(Debug, PartialEq)]
enum Token {
    Iri(String),
    Name(String),
    Literal,
    Punct(char),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                // A comment, to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '<' => {
                chars.next();
                out.push(Token::Iri(
                    chars.by_ref().take_while(|&c| c != '>').collect(),
                ));
            }
            '"' | '\'' => {
                chars.next();
                let long = chars.peek() == Some(&c);
                let mut escaped = false;
                let mut quotes = 0;
                // A short or long ("""…""") string, escapes honoured.
                for next in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if next == '\\' {
                        escaped = true;
                    } else if next == c {
                        quotes += 1;
                        if !long || quotes == 3 {
                            break;
                        }
                        continue;
                    }
                    if next != c {
                        quotes = 0;
                    }
                }
                out.push(Token::Literal);
            }
            ';' | ',' | '.' | '[' | ']' | '(' | ')' => {
                chars.next();
                out.push(Token::Punct(c));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace()
                        || matches!(c, ';' | ',' | '[' | ']' | '(' | ')' | '<' | '"')
                    {
                        break;
                    }
                    // A `.` ends a statement unless a name goes on after it.
                    if c == '.' {
                        let mut ahead = chars.clone();
                        ahead.next();
                        if ahead.peek().is_none_or(|n| n.is_whitespace()) {
                            break;
                        }
                    }
                    word.push(c);
                    chars.next();
                }
                if word.is_empty() {
                    chars.next();
                } else {
                    out.push(Token::Name(word));
                }
            }
        }
    }
    out
}

/// The subjects of `text` declared `a lv2:Plugin`.
fn plugins_in(text: &str) -> Vec<String> {
    let tokens = tokens(text);
    let mut prefixes: HashMap<String, String> = HashMap::new();
    let expand = |prefixes: &HashMap<String, String>, token: &Token| -> Option<String> {
        match token {
            Token::Iri(iri) => Some(iri.clone()),
            Token::Name(name) => {
                let (prefix, local) = name.split_once(':')?;
                Some(format!("{}{local}", prefixes.get(prefix)?))
            }
            _ => None,
        }
    };
    let mut plugins = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        // `@prefix p: <iri> .`
        if tokens[at] == Token::Name("@prefix".into()) {
            if let (Some(Token::Name(prefix)), Some(Token::Iri(iri))) =
                (tokens.get(at + 1), tokens.get(at + 2))
            {
                prefixes.insert(prefix.trim_end_matches(':').to_string(), iri.clone());
            }
            at += 4;
            continue;
        }
        // A statement: subject, then predicate-object lists, to a `.` at depth 0.
        let subject = expand(&prefixes, &tokens[at]);
        let mut depth = 0usize;
        let mut expect_predicate = true;
        let mut predicate_is_a = false;
        at += 1;
        while at < tokens.len() {
            match &tokens[at] {
                Token::Punct('[') | Token::Punct('(') => depth += 1,
                Token::Punct(']') | Token::Punct(')') => depth = depth.saturating_sub(1),
                Token::Punct('.') if depth == 0 => {
                    at += 1;
                    break;
                }
                Token::Punct(';') if depth == 0 => expect_predicate = true,
                Token::Punct(',') => {}
                token if depth == 0 && expect_predicate => {
                    predicate_is_a = *token == Token::Name("a".into());
                    expect_predicate = false;
                }
                token if depth == 0 && predicate_is_a => {
                    if expand(&prefixes, token).as_deref() == Some(LV2_PLUGIN)
                        && let Some(subject) = &subject
                        && !plugins.contains(subject)
                    {
                        plugins.push(subject.clone());
                    }
                }
                _ => {}
            }
            at += 1;
        }
    }
    plugins
}

#[cfg(test)]
mod tests {
    use super::plugins_in;

    #[test]
    fn plugins_are_the_subjects_declared_lv2_plugins() {
        let dpf = "@prefix lv2:  <http://lv2plug.in/ns/lv2core#> .\n\
                   @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n\
                   <http://distrho.sf.net/plugins/Kars>\n    a lv2:Plugin ;\n    \
                   lv2:binary <Kars_dsp.so> ;\n    rdfs:seeAlso <Kars_dsp.ttl> .\n";
        assert_eq!(plugins_in(dpf), ["http://distrho.sf.net/plugins/Kars"]);
        // Prefixed subjects, a person and a project beside them, a URI with a `#`, comments,
        // strings with `;` and `.` in them, nested blank nodes.
        let many = "# a manifest\n@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n\
                    @prefix mda: <http://drobilla.net/plugins/mda/> .\n\
                    @prefix doap: <http://usefulinc.com/ns/doap#> .\n\
                    mda: a doap:Project ; doap:name \"MDA; LV2. x\" ;\n\
                    doap:developer [ a doap:Person ; doap:name \"P\" ] .\n\
                    mda:Ambience a lv2:Plugin ; lv2:binary <Ambience.so> .\n\
                    <http://gareus.org/oss/lv2/nodelay#micro> a lv2:Plugin, lv2:DelayPlugin .\n\
                    mda:Piano a <http://lv2plug.in/ns/lv2core#Plugin> .\n";
        assert_eq!(
            plugins_in(many),
            [
                "http://drobilla.net/plugins/mda/Ambience",
                "http://gareus.org/oss/lv2/nodelay#micro",
                "http://drobilla.net/plugins/mda/Piano"
            ]
        );
        assert!(plugins_in("").is_empty());
    }
}
