//! Postmortem templates are Jinja (rendered by [`minijinja`]): the built-ins in
//! `runbooks/postmortem/`, overridable from `STATE_DIR/postmortem/` and
//! `/etc/triage/postmortem/` (see [`super::find_template`]).
//!
//! Blocks alone on their line take the line with them (`trim_blocks`, `lstrip_blocks`), so
//! `{% if %}` lines leave no blank lines. Every value a template prints is escaped for
//! Markdown unless code marked it safe: the sections code writes (`timeline`,
//! `resolution`…) are safe, while raw strings (`title`, a note's `text`, a command's
//! `output` in `commands`) are escaped on output with the project's Markdown escaper
//! ([`escape_markdown`]), so a journal line cannot inject a link, a table cell or a heading. `{{ x | safe }}` prints a value as it is; `{{ x | code }}`
//! prints it as an inline code span. A syntax error or an unknown variable is an error
//! naming `FILE:LINE`.

use std::path::{Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

use crate::error::{Error, Result};

/// The auto-escape mode for Markdown output.
const MARKDOWN: &str = "markdown";

/// A template parsed once, ready to render many times: strict about undefined names, and
/// every value that is not marked safe is escaped for Markdown when printed. Keeps its
/// path to name it in errors.
#[derive(Debug)]
pub struct Template {
    env: Environment<'static>,
    path: PathBuf,
}

impl Template {
    /// Parse `source`; `path` names the file in errors.
    pub fn parse(source: &str, path: &Path) -> Result<Template> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| convert(path, &e))?;
        env.set_syntax(syntax);
        // A misspelt variable is an error, not an empty string.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Custom(MARKDOWN.into()));
        env.set_formatter(|out, state, value| {
            if value.is_safe() || state.auto_escape() != &AutoEscape::Custom(MARKDOWN.into()) {
                return minijinja::escape_formatter(out, state, value);
            }
            let text = if value.is_none() {
                String::new()
            } else {
                value.to_string()
            };
            out.write_str(&escape_markdown(&text))
                .map_err(minijinja::Error::from)
        });
        env.add_filter("escape", |v: String| {
            Value::from_safe_string(escape_markdown(&v))
        });
        env.add_filter("e", |v: String| {
            Value::from_safe_string(escape_markdown(&v))
        });
        env.add_filter("code", |v: String| {
            Value::from_safe_string(super::sections::code(&v))
        });
        let name = path.display().to_string();
        env.add_template_owned(name, source.to_string())
            .map_err(|e| convert(path, &e))?;
        Ok(Template {
            env,
            path: path.to_path_buf(),
        })
    }

    /// Render with `context` (a map of names to values, see [`super::context`]).
    pub fn render(&self, context: &Value) -> Result<String> {
        let name = self.path.display().to_string();
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| convert(&self.path, &e))?;
        template
            .render(context)
            .map_err(|e| convert(&self.path, &e))
    }
}

/// A minijinja error as ours: `FILE:LINE: message`.
fn convert(path: &Path, e: &minijinja::Error) -> Error {
    let what = match e.kind() {
        ErrorKind::UndefinedError => "unknown variable or attribute".to_string(),
        kind => kind.to_string(),
    };
    let message = match e.detail() {
        Some(detail) => format!("{what}: {detail}"),
        None => what,
    };
    let near = e
        .range()
        .and_then(|r| e.template_source().and_then(|s| s.get(r)))
        .map(|s| format!(" (at `{s}`)"))
        .unwrap_or_default();
    Error::parse(path, e.line(), format!("{message}{near}"))
}

/// `text` made literal in Markdown with the project's escaper
/// ([`crate::sanitize::md_list_item`]: control bytes, code spans, HTML, table pipes, links,
/// block markers on later lines), and the first line's block marker escaped too, since a
/// template may print a value at the start of a line (`{{ title }}` as a heading's text is
/// fine, `{{ note }}` alone on a line must not become one).
pub(crate) fn escape_markdown(text: &str) -> String {
    let body = crate::sanitize::md_list_item(text, 0);
    let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if body.starts_with(['#', '>', '-', '+', '=', '*', '_', '~', '[']) {
        format!("\\{body}")
    } else if digits > 0 && matches!(body.as_bytes().get(digits), Some(b'.' | b')')) {
        format!("{}\\{}", &body[..digits], &body[digits..])
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str, ctx: Value) -> String {
        Template::parse(src, Path::new("t.md"))
            .unwrap()
            .render(&ctx)
            .unwrap()
    }

    fn error(src: &str, ctx: Value) -> String {
        match Template::parse(src, Path::new("dir/t.md")) {
            Err(e) => e.to_string(),
            Ok(t) => t.render(&ctx).unwrap_err().to_string(),
        }
    }

    #[test]
    fn blocks_alone_on_a_line_leave_no_blank_line() {
        let src =
            "a\n{% if summary %}\nS: {{ summary }}\n{% else %}\nTODO: write\n{% endif %}\nb\n";
        let ctx = |s: &str| minijinja::context! { summary => s };
        assert_eq!(render(src, ctx("ok")), "a\nS: ok\nb\n");
        assert_eq!(render(src, ctx("")), "a\nTODO: write\nb\n");
        assert_eq!(
            render(
                "c: {% if x %}{{ x }}{% else %}open{% endif %}.",
                minijinja::context! { x => "" }
            ),
            "c: open."
        );
        assert_eq!(render("{# note #}\nz", Value::UNDEFINED), "z");
    }

    #[test]
    fn untrusted_values_are_escaped_safe_ones_are_not() {
        let ctx = minijinja::context! {
            title => "*bold* [link](http://x) | cell <b>",
            section => Value::from_safe_string("- **done**".into()),
            notes => vec!["# not a heading", "1. not a list"],
        };
        let src = "{{ title }}\n{{ section }}\n{% for n in notes %}{{ n }}\n{% endfor %}{{ title | safe }}\n{{ 'a`b' | code }}";
        assert_eq!(
            render(src, ctx),
            "\\*bold* [link\\](http://x) \\| cell \\<b>\n- **done**\n\\# not a heading\n1\\. not a list\n*bold* [link](http://x) | cell <b>\n``a`b``"
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let ctx = minijinja::context! { title => "t" };
        let e = error("a\nb {{ tilte }}\n", ctx.clone());
        assert!(e.starts_with("dir/t.md:2: unknown variable"), "{e}");
        let e = error("x\n\n{% if title %}\nno end\n", ctx.clone());
        assert!(e.starts_with("dir/t.md:"), "{e}");
        assert!(e.contains("syntax error"), "{e}");
        let e = error("a\n{{ title", ctx.clone());
        assert!(e.starts_with("dir/t.md:2: syntax error"), "{e}");
        let e = error("{% endif %}", ctx);
        assert!(e.starts_with("dir/t.md:1: syntax error"), "{e}");
    }
}
