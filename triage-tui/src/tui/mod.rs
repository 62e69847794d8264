//! The TUI: `triage` with no arguments. One synchronous loop: it blocks on the event
//! channel (with a 1 s timeout for the clock), updates the app and draws. Keys come
//! from an input thread, snapshots from a collection thread, command results from job
//! threads. `ratatui::init` installs a panic hook that restores the terminal; SIGTERM and
//! SIGHUP (a dropped SSH session) raise a flag that ends the loop the same way `q` does.

pub mod app;
mod chrome;
pub mod clean;
pub mod ctx;
pub mod effect;
pub mod event;
pub mod follow;
pub mod keys;
mod seen;
pub mod steps;
pub mod theme;
pub mod widgets;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_follow;
#[cfg(test)]
mod tests_incident;
#[cfg(test)]
mod tests_sanitize;

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use triage_core::collect::Options;
use triage_core::incident::Store;
use triage_core::HostRoot;

use app::App;
use ctx::Ctx;
use event::Event;

/// How often the snapshot is refreshed.
pub const REFRESH: Duration = Duration::from_secs(2);

/// How often the screen is redrawn when nothing happens (the elapsed-time clock).
const CLOCK: Duration = Duration::from_secs(1);

/// Run the TUI until `q` or a signal; `fleet`: a directory of the fleet's snapshots for the
/// Scope step (`--fleet DIR`).
pub fn run(root: HostRoot, opts: Options, fleet: Option<std::path::PathBuf>) -> Result<()> {
    let terminate = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&terminate))
            .context("installing signal handlers")?;
    }
    let store = Store::new(&triage_core::state::state_dir()?);
    let mut ctx = Ctx::new(store, theme::Theme::from_env());
    ctx.follow_source = Some(follow::Source {
        root: root.clone(),
        files: Vec::new(),
        redact: opts.redact,
    });
    let (tx, rx) = mpsc::channel();
    ctx.jobs = Some(tx.clone());
    if let Some(dir) = fleet {
        ctx.spawn_fleet(dir);
    }
    let hostname = crate::sources::local_hostname();
    event::spawn_sources(&tx, hostname);
    let mut app = App::new(ctx);

    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        // First frame before the first snapshot: "collecting…".
        terminal.draw(|f| app.render(f))?;
        let (refresh_tx, refresh_rx) = mpsc::channel();
        event::spawn_input(tx.clone(), terminate);
        event::spawn_collector(root, opts, tx, refresh_rx, REFRESH);
        while !app.quit {
            match rx.recv_timeout(CLOCK) {
                Ok(ev) => app.handle(ev),
                Err(mpsc::RecvTimeoutError::Timeout) => app.handle(Event::Tick),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            // Take whatever else is queued before drawing once.
            while let Ok(ev) = rx.try_recv() {
                app.handle(ev);
            }
            if std::mem::take(&mut app.out.refresh) {
                let _ = refresh_tx.send(());
            }
            terminal.draw(|f| app.render(f))?;
            if let Some(text) = app.out.clipboard.take() {
                let mut out = std::io::stdout();
                out.write_all(osc52(&text, std::env::var_os("TMUX").is_some()).as_bytes())?;
                out.flush()?;
            }
        }
        Ok(())
    })();
    if !app.quit {
        // The loop ended on an error (the terminal went away): still journal the step.
        app.leave();
    }
    if let Some(f) = app.ctx.following.take() {
        // No `journalctl -f` left behind.
        f.finish(Duration::from_secs(3));
    }
    ratatui::restore();
    if let Some((inc, _)) = &app.ctx.incident {
        eprintln!(
            "triage: incident {} is still open (`triage incident close` ends it)",
            inc.id
        );
    }
    result
}

/// The OSC 52 "set clipboard" sequence for `text`. Inside tmux it is sent twice: plain
/// (taken by tmux with `set-clipboard on`) and wrapped in tmux's DCS passthrough (for
/// `allow-passthrough on`), so one of them reaches the local terminal through SSH.
pub fn osc52(text: &str, tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let plain = format!("\x1b]52;c;{b64}\x07");
    if tmux {
        format!("{plain}\x1bPtmux;\x1b{plain}\x1b\\")
    } else {
        plain
    }
}
