//! What a step (or a global key) asks the app to do. Steps read the [`Ctx`] and return
//! effects; only [`App::apply`](super::app::App::apply) changes shared state, writes the
//! journal or starts jobs, so a step's key handling is tested by looking at what it returns.
//!
//! [`Ctx`]: super::ctx::Ctx

use std::path::PathBuf;
use std::time::Duration;

use triage_core::incident::EventBody;

use super::ctx::Ctx;

/// One change a step asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A one-line message in the footer until the next key.
    Flash(String),
    /// Send the text to the local clipboard (OSC 52), from the UI loop.
    Copy(String),
    /// Ask the collection thread for a snapshot now.
    Refresh,
    /// Test the inventory's dependencies again, in the background.
    Reach,
    /// Run `command` in the background; its result comes back as `CommandDone { job }`.
    Spawn {
        job: u64,
        command: String,
        timeout: Duration,
    },
    /// Append to the journal (starting an incident when none is open), then flash `saved`,
    /// or `failed` followed by the error.
    Journal {
        body: EventBody,
        saved: String,
        failed: &'static str,
    },
    /// Write `text` atomically to `path` (mode 0600) and flash where it went.
    Write { path: PathBuf, text: String },
    /// Start an incident with this title (the top finding's when empty); flash its id.
    Start(String),
    /// Start (true) or stop the Logs step's follow thread.
    Follow(bool),
}

/// What the UI loop still has to do after the effects: show, copy, ask for a snapshot.
#[derive(Debug, Default)]
pub struct Outbox {
    /// The footer message ("saved", errors), cleared by the next key.
    pub flash: Option<String>,
    /// Text to copy with OSC 52.
    pub clipboard: Option<String>,
    /// A snapshot is wanted now.
    pub refresh: bool,
}

/// Carry out `effects` in order, on `ctx` and `out`.
pub fn apply(ctx: &mut Ctx, out: &mut Outbox, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Flash(m) => out.flash = Some(m),
            Effect::Copy(text) => out.clipboard = Some(text),
            Effect::Refresh => out.refresh = true,
            Effect::Reach => {
                ctx.reach = None;
                ctx.spawn_reach();
            }
            Effect::Spawn {
                job,
                command,
                timeout,
            } => {
                if !ctx.spawn_command(job, command, timeout) {
                    out.flash = Some("commands cannot run here".into());
                }
            }
            Effect::Journal {
                body,
                saved,
                failed,
            } => {
                out.flash = Some(match ctx.journal(body) {
                    Ok(()) => saved,
                    Err(e) => format!("{failed}{e:#}"),
                });
            }
            Effect::Start(title) => {
                out.flash = Some(match ctx.start_incident_titled(Some(&title)) {
                    Ok(said) => said.unwrap_or_default(),
                    Err(e) => format!("could not start: {e:#}"),
                });
            }
            Effect::Follow(true) => {
                if let Err(why) = ctx.start_follow() {
                    out.flash = Some(why);
                }
            }
            Effect::Follow(false) => ctx.stop_follow(),
            Effect::Write { path, text } => {
                let r = triage_core::fsutil::write_atomic(&path, text.as_bytes(), 0o600);
                out.flash = Some(match r {
                    Ok(()) => format!("written to {}", path.display()),
                    Err(e) => format!("not written: {e}"),
                });
            }
        }
    }
}
