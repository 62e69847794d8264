//! Incidents: one directory per incident under `STATE_DIR/incidents/<id>/`, holding the
//! append-only `journal.jsonl` (see [`journal`]) and the snapshots taken during it
//! (`snapshots/*.json`). The state of an incident (title, open/closed, steps done) is
//! never stored separately: it is derived from the journal, so a `triage` restarted after
//! a dropped SSH session resumes exactly where the journal ends.

pub mod journal;
pub mod search;
mod step;

use std::collections::BTreeSet;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::snapshot::{Snapshot, Time};
pub use journal::{Event, EventBody, Journal, ReadResult};
pub use step::Step;

/// Where incidents live: `STATE_DIR/incidents`.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// One incident on disk.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Its id (the directory name), sortable by opening time.
    pub id: String,
    /// Its directory.
    pub dir: PathBuf,
    journal: Journal,
}

/// What the journal says about an incident.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Title from the `opened` event.
    pub title: String,
    /// Host from the `opened` event.
    pub host: String,
    /// When it was opened.
    pub opened_at: Option<Time>,
    /// When it was closed, if it was.
    pub closed_at: Option<Time>,
    /// Summary given at close.
    pub summary: Option<String>,
    /// Steps marked done.
    pub steps_done: BTreeSet<String>,
    /// The last step entered.
    pub current_step: Option<String>,
    /// Whether the incident was reported.
    pub reported: bool,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// The journal line of each event in `events` (1-based).
    pub event_lines: Vec<usize>,
    /// Journal lines that could not be read.
    pub skipped: Vec<String>,
}

impl State {
    /// True while not closed.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// Derive the state from events.
    pub(crate) fn from_events(read: ReadResult) -> State {
        let mut s = State {
            skipped: read.skipped,
            ..State::default()
        };
        for ev in &read.events {
            match &ev.body {
                EventBody::Opened { title, host } => {
                    s.title = title.clone();
                    s.host = host.clone();
                    s.opened_at.get_or_insert(ev.time);
                    s.closed_at = None;
                }
                EventBody::Step { step, status } => {
                    s.current_step = Some(step.clone());
                    if status == "done" {
                        s.steps_done.insert(step.clone());
                    } else if status == "undone" {
                        s.steps_done.remove(step);
                    }
                }
                EventBody::Reported { .. } => s.reported = true,
                EventBody::Closed { summary } => {
                    s.closed_at = Some(ev.time);
                    if summary.is_some() {
                        s.summary = summary.clone();
                    }
                }
                _ => {}
            }
        }
        if s.opened_at.is_none() {
            s.opened_at = read.events.first().map(|e| e.time);
        }
        s.events = read.events;
        s.event_lines = read.lines;
        s
    }
}

impl Store {
    /// The store under `state_dir` (usually [`crate::state::state_dir`]).
    pub fn new(state_dir: &Path) -> Self {
        Store {
            dir: state_dir.join("incidents"),
        }
    }

    /// The incidents directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Refuse a state directory or `incidents/` that is not ours or that group or others
    /// may write (see [`crate::state::check_private_dir`]).
    pub fn check(&self) -> Result<()> {
        if let Some(state) = self.dir.parent() {
            crate::state::check_private_dir(state)?;
        }
        crate::state::check_private_dir(&self.dir)
    }

    /// Every incident, oldest first: directories of ours (no symlink, not writable by
    /// others) holding a journal that is a regular file of ours. Anything else another
    /// user could have planted is not an incident.
    pub fn all(&self) -> Result<Vec<Incident>> {
        self.check()?;
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut out: Vec<Incident> = entries
            .flatten()
            .filter(|e| is_own_incident(&e.path()))
            .filter_map(|e| e.file_name().to_str().map(|id| self.incident(id)))
            .collect();
        out.sort_by(|a, b| id_order(&a.id).cmp(&id_order(&b.id)));
        Ok(out)
    }

    fn incident(&self, id: &str) -> Incident {
        let dir = self.dir.join(id);
        Incident {
            id: id.to_string(),
            journal: Journal::new(dir.join("journal.jsonl")),
            dir,
        }
    }

    /// The incident `id`; an error naming it when there is none.
    pub fn get(&self, id: &str) -> Result<Incident> {
        if id.is_empty() || id.contains('/') || id.starts_with('.') {
            return Err(Error::Invalid(format!("{id:?} is not an incident id")));
        }
        self.check()?;
        let inc = self.incident(id);
        if !is_own_incident(&inc.dir) {
            return Err(Error::Invalid(format!(
                "no incident {id:?} in {} (see `triage incident list`)",
                self.dir.display()
            )));
        }
        Ok(inc)
    }

    /// The open incident (the newest one not closed), if any.
    pub fn open_incident(&self) -> Result<Option<(Incident, State)>> {
        for inc in self.all()?.into_iter().rev() {
            let state = inc.state()?;
            if state.is_open() {
                return Ok(Some((inc, state)));
            }
        }
        Ok(None)
    }

    /// The open incident, else the most recently closed one.
    pub fn latest(&self) -> Result<Option<(Incident, State)>> {
        if let Some(open) = self.open_incident()? {
            return Ok(Some(open));
        }
        match self.all()?.pop() {
            Some(inc) => {
                let st = inc.state()?;
                Ok(Some((inc, st)))
            }
            None => Ok(None),
        }
    }

    /// Open a new incident titled `title` on `host`; the directory is 0700, the journal
    /// 0600. An incident already open is returned instead (one at a time per host).
    pub fn start(&self, title: &str, host: &str) -> Result<(Incident, bool)> {
        self.check()?;
        crate::fsutil::create_dir_all(&self.dir, 0o700)?;
        // Two responders (or two `triage note`s) starting at once must open one incident:
        // "is one open? if not, create it" happens under an exclusive lock.
        // The lock lives beside `incidents/`, which holds only incident directories.
        let lock_path = self.dir.with_file_name(".incidents.lock");
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| Error::io(&lock_path, e.into()))?;
        if let Some((inc, _)) = self.open_incident()? {
            return Ok((inc, false));
        }
        let base = crate::snapshot::now().format("%Y%m%d-%H%M%S").to_string();
        let mut id = base.clone();
        let mut n = 1;
        loop {
            match std::fs::DirBuilder::new()
                .mode_0700()
                .create(self.dir.join(&id))
            {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Err(e) => return Err(Error::io(self.dir.join(&id), e)),
            }
        }
        let inc = self.incident(&id);
        inc.append(EventBody::Opened {
            title: title.to_string(),
            host: host.to_string(),
        })?;
        Ok((inc, true))
    }
}

/// A directory (not a symlink) owned by us, not writable by group or others, with a
/// `journal.jsonl` that is a regular file (not a symlink) owned by us.
fn is_own_incident(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::geteuid().as_raw();
    let own = |p: &Path, dir: bool| {
        std::fs::symlink_metadata(p).is_ok_and(|m| {
            let kind = if dir { m.is_dir() } else { m.is_file() };
            kind && m.uid() == me && m.mode() & 0o022 == 0
        })
    };
    own(dir, true) && own(&dir.join("journal.jsonl"), false)
}

/// Incident ids sort by time, then by the `-N` suffix a same-second id gets, as a
/// number (`…-2` before `…-10`).
fn id_order(id: &str) -> (&str, u32) {
    match id.rsplit_once('-') {
        Some((base, n)) if base.contains('-') => match n.parse() {
            Ok(n) => (base, n),
            Err(_) => (id, 1),
        },
        _ => (id, 1),
    }
}

trait DirBuilderMode {
    fn mode_0700(&mut self) -> &mut Self;
}

impl DirBuilderMode for std::fs::DirBuilder {
    fn mode_0700(&mut self) -> &mut Self {
        use std::os::unix::fs::DirBuilderExt;
        self.mode(0o700)
    }
}

impl Incident {
    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Append an event (fsynced before returning).
    pub fn append(&self, body: EventBody) -> Result<Event> {
        self.journal.append(body)
    }

    /// Read the journal and derive the state.
    pub fn state(&self) -> Result<State> {
        Ok(State::from_events(self.journal.read()?))
    }

    /// Save `snapshot` as `snapshots/<time>.json` (atomically, 0600) and journal it.
    pub fn save_snapshot(&self, snapshot: &Snapshot) -> Result<PathBuf> {
        let dir = self.dir.join("snapshots");
        crate::fsutil::create_dir_all(&dir, 0o700)?;
        let name = format!("{}.json", snapshot.collected_at.format("%Y%m%d-%H%M%S"));
        let path = dir.join(&name);
        let json = serde_json::to_vec_pretty(snapshot)
            .map_err(|e| Error::Invalid(format!("snapshot: {e}")))?;
        crate::fsutil::write_atomic(&path, &json, 0o600)?;
        self.append(EventBody::Snapshot {
            file: format!("snapshots/{name}"),
            findings: snapshot.findings.iter().map(|f| f.id.clone()).collect(),
        })?;
        Ok(path)
    }

    /// Load a snapshot saved with [`Incident::save_snapshot`] (`file` as journaled).
    pub fn load_snapshot(&self, file: &str) -> Result<Snapshot> {
        let path = self.dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::parse(&path, Some(e.line()), e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_resume_close() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(store.open_incident().unwrap().is_none());
        let (inc, created) = store.start("OOM on web-3", "web-3").unwrap();
        assert!(created);
        let (again, created) = store.start("other", "web-3").unwrap();
        assert!(!created);
        assert_eq!(again.id, inc.id);
        inc.append(EventBody::Step {
            step: "detect".into(),
            status: "done".into(),
        })
        .unwrap();
        inc.append(EventBody::Step {
            step: "report".into(),
            status: "started".into(),
        })
        .unwrap();
        // A new process (a re-run after a dropped SSH session) sees the same state.
        let (resumed, st) = Store::new(dir.path()).open_incident().unwrap().unwrap();
        assert_eq!(resumed.id, inc.id);
        assert_eq!(st.title, "OOM on web-3");
        assert!(st.steps_done.contains("detect"));
        assert_eq!(st.current_step.as_deref(), Some("report"));
        inc.append(EventBody::Closed {
            summary: Some("restarted java".into()),
        })
        .unwrap();
        assert!(store.open_incident().unwrap().is_none());
        let (latest, st) = store.latest().unwrap().unwrap();
        assert_eq!(latest.id, inc.id);
        assert!(!st.is_open());
        assert_eq!(st.summary.as_deref(), Some("restarted java"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&inc.dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn snapshots_are_saved_and_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (inc, _) = store.start("t", "h").unwrap();
        let snap = Snapshot::empty(crate::snapshot::now());
        inc.save_snapshot(&snap).unwrap();
        let st = inc.state().unwrap();
        let file = st
            .events
            .iter()
            .find_map(|e| match &e.body {
                EventBody::Snapshot { file, .. } => Some(file.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(inc.load_snapshot(&file).unwrap(), snap);
    }

    #[test]
    fn ids_sort_numerically_within_a_second() {
        let mut ids = vec![
            "20261123-100000-10",
            "20261123-100000-2",
            "20261123-100000",
            "20261122-235959",
        ];
        ids.sort_by(|a, b| id_order(a).cmp(&id_order(b)));
        assert_eq!(
            ids,
            [
                "20261122-235959",
                "20261123-100000",
                "20261123-100000-2",
                "20261123-100000-10"
            ]
        );
    }

    #[test]
    fn concurrent_starts_open_one_incident() {
        let dir = tempfile::tempdir().unwrap();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = Store::new(dir.path());
                std::thread::spawn(move || store.start(&format!("t{i}"), "h").unwrap().0.id)
            })
            .collect();
        let ids: std::collections::BTreeSet<String> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(Store::new(dir.path()).all().unwrap().len(), 1);
    }

    #[test]
    fn bad_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(store.get("../etc").is_err());
        assert!(store
            .get("nope")
            .unwrap_err()
            .to_string()
            .contains("triage incident list"));
    }
}
