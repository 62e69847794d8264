//! The tiny template language of postmortem skeletons (`runbooks/postmortem/{en,ja}.md`,
//! overridable in `STATE_DIR/postmortem/`). Plain Markdown plus four tags:
//!
//! | tag | meaning |
//! |---|---|
//! | `{{name}}` | the value `name` (a fact such as `title`, or a whole section such as `timeline`, rendered by code) |
//! | `{{#if name}}` … `{{else}}` … `{{/if}}` | the first part when `name` is not empty, else the second (`{{else}}` is optional; blocks nest) |
//! | `{{! text }}` | a comment, dropped (it ends at the first `}}`) |
//!
//! A block tag or comment alone on its line removes the whole line, so blocks do not
//! leave blank lines. Names are fixed by the code ([`super::NAMES`]); an unknown name, a
//! stray `{{else}}`/`{{/if}}`, an unclosed `{{#if` or `{{` is an error naming `FILE:LINE`.
//! Any line starting with `TODO:` (after list or quote markers) is collected into the
//! "Left to fill" list, so a team may add its own.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var(String),
    If {
        name: String,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// One tag as found in the source.
enum Tag<'a> {
    Var(&'a str),
    If(&'a str),
    Else,
    End,
    Comment,
}

impl Tag<'_> {
    fn is_block(&self) -> bool {
        !matches!(self, Tag::Var(_))
    }
}

/// An open `{{#if}}` while parsing.
struct Open {
    name: String,
    line: usize,
    /// The nodes before the block.
    outer: Vec<Node>,
    /// The then-branch, once `{{else}}` was seen.
    then: Option<Vec<Node>>,
}

impl Template {
    /// Parse `source`; `path` names the file in errors; names not in `known` are refused.
    pub fn parse(source: &str, path: &Path, known: &[&str]) -> Result<Template> {
        let err = |pos: usize, msg: String| Error::parse(path, Some(line_of(source, pos)), msg);
        let mut stack: Vec<Open> = Vec::new();
        let mut current: Vec<Node> = Vec::new();
        let mut pos = 0;
        while let Some(rel) = source.get(pos..).and_then(|s| s.find("{{")) {
            let start = pos + rel;
            let inner_start = start + 2;
            let Some(close_rel) = source.get(inner_start..).and_then(|s| s.find("}}")) else {
                return Err(err(start, "`{{` is never closed with `}}`".into()));
            };
            let end = inner_start + close_rel + 2;
            let inner = source.get(inner_start..end - 2).unwrap_or_default();
            if inner.contains('\n') && !inner.trim_start().starts_with('!') {
                return Err(err(start, "a tag must fit on one line".into()));
            }
            let tag = parse_tag(inner).map_err(|m| err(start, m))?;
            // A block tag alone on its line takes the line with it.
            let (text_end, next) = if tag.is_block() {
                standalone(source, start, end).unwrap_or((start, end))
            } else {
                (start, end)
            };
            if let Some(text) = source.get(pos..text_end).filter(|t| !t.is_empty()) {
                current.push(Node::Text(text.to_string()));
            }
            pos = next;
            match tag {
                Tag::Comment => {}
                Tag::Var(name) => {
                    check_name(name, known).map_err(|m| err(start, m))?;
                    current.push(Node::Var(name.to_string()));
                }
                Tag::If(name) => {
                    check_name(name, known).map_err(|m| err(start, m))?;
                    stack.push(Open {
                        name: name.to_string(),
                        line: line_of(source, start),
                        outer: std::mem::take(&mut current),
                        then: None,
                    });
                }
                Tag::Else => match stack.last_mut() {
                    Some(open) if open.then.is_none() => {
                        open.then = Some(std::mem::take(&mut current));
                    }
                    Some(_) => return Err(err(start, "a second `{{else}}` in one block".into())),
                    None => return Err(err(start, "`{{else}}` outside `{{#if}}`".into())),
                },
                Tag::End => {
                    let Some(open) = stack.pop() else {
                        return Err(err(start, "`{{/if}}` without `{{#if}}`".into()));
                    };
                    let body = std::mem::replace(&mut current, open.outer);
                    let (then, otherwise) = match open.then {
                        Some(then) => (then, body),
                        None => (body, Vec::new()),
                    };
                    current.push(Node::If {
                        name: open.name,
                        then,
                        otherwise,
                    });
                }
            }
        }
        if let Some(open) = stack.last() {
            return Err(Error::parse(
                path,
                Some(open.line),
                format!(
                    "`{{{{#if {}}}}}` is never closed with `{{{{/if}}}}`",
                    open.name
                ),
            ));
        }
        if let Some(text) = source.get(pos..).filter(|t| !t.is_empty()) {
            current.push(Node::Text(text.to_string()));
        }
        Ok(Template { nodes: current })
    }

    /// Render with `values`; a name without a value renders empty.
    pub fn render(&self, values: &BTreeMap<&str, String>) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, values, &mut out);
        out
    }
}

fn render_nodes(nodes: &[Node], values: &BTreeMap<&str, String>, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var(name) => {
                if let Some(v) = values.get(name.as_str()) {
                    out.push_str(v);
                }
            }
            Node::If {
                name,
                then,
                otherwise,
            } => {
                let set = values
                    .get(name.as_str())
                    .is_some_and(|v| !v.trim().is_empty());
                render_nodes(if set { then } else { otherwise }, values, out);
            }
        }
    }
}

fn parse_tag(inner: &str) -> std::result::Result<Tag<'_>, String> {
    let t = inner.trim();
    if t.starts_with('!') {
        return Ok(Tag::Comment);
    }
    if t == "else" {
        return Ok(Tag::Else);
    }
    if t == "/if" {
        return Ok(Tag::End);
    }
    if let Some(rest) = t.strip_prefix("#if") {
        let name = rest.trim();
        if name.is_empty() || !rest.starts_with(char::is_whitespace) {
            return Err(format!("`{{{{{t}}}}}`: write `{{{{#if NAME}}}}`"));
        }
        return Ok(Tag::If(name));
    }
    if t.starts_with(['#', '/']) {
        return Err(format!(
            "`{{{{{t}}}}}`: unknown block (only `#if`, `else`, `/if`)"
        ));
    }
    Ok(Tag::Var(t))
}

fn check_name(name: &str, known: &[&str]) -> std::result::Result<(), String> {
    if known.contains(&name) {
        Ok(())
    } else {
        Err(format!(
            "unknown placeholder `{{{{{name}}}}}` (known: {})",
            known.join(", ")
        ))
    }
}

/// When the tag at `start..end` is alone on its line: (where the text before it ends,
/// where parsing resumes), swallowing the line's indentation and newline.
fn standalone(source: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = source.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before.get(line_start..)?.trim().is_empty() {
        return None;
    }
    let after = source.get(end..)?;
    let line_end = after.find('\n').map_or(source.len(), |i| end + i + 1);
    if !source.get(end..line_end)?.trim().is_empty() {
        return None;
    }
    Some((line_start, line_end))
}

/// 1-based line of byte offset `pos`.
fn line_of(source: &str, pos: usize) -> usize {
    source.get(..pos).map_or(1, |s| s.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["title", "summary", "x"];

    fn render(src: &str, vals: &[(&'static str, &str)]) -> String {
        let t = Template::parse(src, Path::new("t.md"), KNOWN).unwrap();
        let values = vals.iter().map(|(k, v)| (*k, v.to_string())).collect();
        t.render(&values)
    }

    fn error(src: &str) -> String {
        Template::parse(src, Path::new("dir/t.md"), KNOWN)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn vars_and_blocks() {
        assert_eq!(render("# {{title}}!", &[("title", "Disk")]), "# Disk!");
        let src = "a\n{{#if summary}}\nS: {{summary}}\n{{else}}\nTODO: write\n{{/if}}\nb\n";
        assert_eq!(render(src, &[("summary", "ok")]), "a\nS: ok\nb\n");
        assert_eq!(render(src, &[]), "a\nTODO: write\nb\n");
        assert_eq!(render(src, &[("summary", "  \n")]), "a\nTODO: write\nb\n");
        // Inline blocks keep the surrounding text.
        assert_eq!(
            render("c: {{#if x}}{{x}}{{else}}open{{/if}}.", &[]),
            "c: open."
        );
        assert_eq!(render("{{! note }}\nz", &[]), "z");
    }

    #[test]
    fn nested_blocks() {
        let src = "{{#if title}}T{{#if x}}X{{else}}-{{/if}}{{else}}none{{/if}}";
        assert_eq!(render(src, &[("title", "t"), ("x", "1")]), "TX");
        assert_eq!(render(src, &[("title", "t")]), "T-");
        assert_eq!(render(src, &[("x", "1")]), "none");
        let src = "0{{#if x}}1{{#if title}}2{{/if}}3{{else}}4{{/if}}5";
        assert_eq!(render(src, &[("x", "1"), ("title", "t")]), "01235");
        assert_eq!(render(src, &[]), "045");
    }

    #[test]
    fn errors_name_file_and_line() {
        assert!(
            error("a\nb {{tilte}}\n").starts_with("dir/t.md:2: unknown placeholder `{{tilte}}`"),
            "{}",
            error("a\nb {{tilte}}\n")
        );
        assert!(error("x\n\n{{#if title}}\nno end\n")
            .starts_with("dir/t.md:3: `{{#if title}}` is never closed"));
        assert!(error("{{/if}}").starts_with("dir/t.md:1: `{{/if}}` without"));
        assert!(error("\n{{else}}").starts_with("dir/t.md:2: `{{else}}` outside"));
        assert!(error("a\n{{title").starts_with("dir/t.md:2: `{{` is never closed"));
        assert!(error("{{#each title}}").contains("unknown block"));
        assert!(error("{{#iftitle}}").contains("write `{{#if NAME}}`"));
        assert!(error("{{#if x}}{{else}}{{else}}{{/if}}").contains("second `{{else}}`"));
    }
}
