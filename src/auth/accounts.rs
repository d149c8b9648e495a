//! The accounts file, `<data>/accounts.json` (beside `plan.git`, never inside it), and
//! [`Accounts`], the handle every part of codraft uses to read and change it.
//!
//! The file holds every user and their secrets: an argon2id password hash (a user may have
//! none yet) and the SHA-256 of each API token (see [`super::secret`] for why two kinds of
//! hash). It is written whole and atomically: `accounts.json.tmp` is created in the same
//! folder (mode 0600 on unix), written, fsynced and renamed over the file, then the folder is
//! fsynced. Creating the `.tmp` file with `create_new` also serves as the lock between
//! processes (the server and `codraft user add`): a writer re-reads the file after taking it,
//! so no process overwrites another's change.
//!
//! Lookups stat the file each time (cheap) and re-read it when its size, modification time or
//! inode changed, so a running server sees users added from the command line.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::{secret, AuthError, Role, Sector, User, MIN_PASSWORD_CHARS};
use crate::doc::commitment::is_valid_id;

/// The accounts file's name inside a data directory.
pub const FILE_NAME: &str = "accounts.json";
const VERSION: u32 = 1;
/// A `.tmp` file older than this was left by a writer that died; it is removed.
const STALE_LOCK: Duration = Duration::from_secs(10);
/// How long a writer waits for another to finish.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// What [`Accounts::add_user`] needs. The password is checked against the policy (at least
/// [`MIN_PASSWORD_CHARS`] characters); `None` leaves the user without one.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub sector: Sector,
    pub roles: BTreeSet<Role>,
    pub commitments: BTreeSet<String>,
    /// The agency the user works for (see [`User::agency`]).
    pub agency: Option<String>,
    pub password: Option<String>,
}

impl NewUser {
    /// The user this account is for (without its password).
    pub fn user(&self) -> User {
        User {
            id: self.id.clone(),
            name: self.name.trim().to_string(),
            email: self.email.clone(),
            sector: self.sector,
            roles: self.roles.clone(),
            commitments: self.commitments.clone(),
            agency: self.agency.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AccountsFile {
    version: u32,
    /// Sorted by id.
    users: Vec<Record>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    #[serde(flatten)]
    user: User,
    /// argon2id PHC string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    #[serde(default)]
    tokens: Vec<TokenRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRecord {
    /// SHA-256 of the whole token (`cdt_…`), lowercase hex.
    sha256: String,
    /// When it was issued (RFC 3339).
    created: String,
}

/// What tells one version of the file from the next without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }
}

struct State {
    /// `None`: there was no file.
    stamp: Option<Stamp>,
    file: AccountsFile,
    /// When the file's stamp was last compared with `stamp`.
    checked: Instant,
}

/// Lookups trust what was read this recently without a `stat` (a lookup that finds nothing
/// always looks again): another process's change (the CLI adding a user or a token) is seen at
/// once, a change to an existing user within this long.
const FRESH: Duration = Duration::from_secs(1);

/// The accounts of one data directory. Cheap to clone, `Send + Sync`.
///
/// Lookups take a lock, a `stat` and, when the file changed, a read: fast enough to call from
/// async code. The per-request ones (`user`, `user_for_token`) `stat` at most once a second,
/// and again when they find nothing. [`Accounts::verify_password`]
/// runs argon2 and the write methods hash and fsync: those block (tens of milliseconds or
/// more), so on an async runtime call them through `tokio::task::spawn_blocking`.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    state: Mutex<State>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AuthError + '_ {
    move |source| AuthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the file: its stamp and contents, taken from the same open file. A missing file is
/// no users.
fn read_file(path: &Path) -> Result<(Option<Stamp>, AccountsFile), AuthError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((None, AccountsFile::default()))
        }
        Err(e) => return Err(io_error(path)(e)),
    };
    let stamp = Stamp::of(&file.metadata().map_err(io_error(path))?);
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io_error(path))?;
    let corrupt = |message: String| AuthError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let accounts: AccountsFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if accounts.version != VERSION {
        return Err(corrupt(format!(
            "version {} (this codraft reads version {VERSION})",
            accounts.version
        )));
    }
    Ok((Some(stamp), accounts))
}

fn current_stamp(path: &Path) -> Result<Option<Stamp>, AuthError> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Stamp::of(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The writers' lock: `accounts.json.tmp`, created exclusively. Removed on drop unless it was
/// renamed into place.
struct TmpFile {
    path: PathBuf,
    file: Option<File>,
}

impl TmpFile {
    fn create(path: PathBuf) -> Result<TmpFile, AuthError> {
        let started = std::time::Instant::now();
        loop {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => {
                    return Ok(TmpFile {
                        path,
                        file: Some(file),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok());
                    if age.is_some_and(|age| age > STALE_LOCK) {
                        let _ = fs::remove_file(&path);
                    } else if started.elapsed() > LOCK_WAIT {
                        return Err(io_error(&path)(std::io::Error::other(
                            "another process is writing the accounts (remove this file if none is)",
                        )));
                    } else {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                Err(e) => return Err(io_error(&path)(e)),
            }
        }
    }

    /// Writes `bytes`, fsyncs, renames over `target` and fsyncs the folder.
    fn commit(mut self, bytes: &[u8], target: &Path) -> Result<(), AuthError> {
        let mut file = self.file.take().ok_or_else(|| {
            io_error(&self.path)(std::io::Error::other("temporary file already used"))
        })?;
        file.write_all(bytes).map_err(io_error(&self.path))?;
        file.sync_all().map_err(io_error(&self.path))?;
        drop(file);
        fs::rename(&self.path, target).map_err(io_error(target))?;
        self.path = PathBuf::new();
        #[cfg(unix)]
        if let Some(dir) = target.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io_error(dir))?;
        }
        Ok(())
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn check_id(id: &str) -> Result<(), AuthError> {
    let len = id.chars().count();
    let ok = (1..=64).contains(&len)
        && !id.chars().any(|c| c.is_control() || c == '/' || c == '@')
        && id.trim() == id;
    if ok {
        Ok(())
    } else {
        Err(AuthError::BadId(id.to_string()))
    }
}

fn check_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(AuthError::WeakPassword)
    } else {
        Ok(())
    }
}

fn check_new_user(new: &NewUser) -> Result<(), AuthError> {
    check_id(&new.id)?;
    let invalid = |m: String| Err(AuthError::Invalid(m));
    if new.name.trim().is_empty() || new.name.chars().any(char::is_control) {
        return invalid(format!("bad name \"{}\": it must not be empty", new.name));
    }
    if let Some(email) = &new.email {
        let well_formed = email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('@'))
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return invalid(format!("bad email \"{email}\""));
        }
    }
    if new.roles.is_empty() {
        return invalid("a user needs at least one role".into());
    }
    if let Some(bad) = new.commitments.iter().find(|c| !is_valid_id(c)) {
        return invalid(format!("bad commitment id \"{bad}\""));
    }
    if let Some(p) = &new.password {
        check_password(p)?;
    }
    Ok(())
}

fn same_email(a: &Option<String>, b: &str) -> bool {
    a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

impl Accounts {
    /// The accounts of `data_dir` (the folder holding `plan.git`). A missing file is no users;
    /// it is created by the first write.
    pub fn open(data_dir: &Path) -> Result<Accounts, AuthError> {
        let path = data_dir.join(FILE_NAME);
        let (stamp, file) = read_file(&path)?;
        Ok(Accounts {
            inner: Arc::new(Inner {
                path,
                state: Mutex::new(State {
                    stamp,
                    file,
                    checked: Instant::now(),
                }),
            }),
        })
    }

    /// Where the accounts file is.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The state, re-read first if the file changed. A file that cannot be read now keeps the
    /// last good state (and is logged): lookups go on working.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state_within(Duration::ZERO)
    }

    /// The state, re-read first if the file changed, unless it was checked within `fresh`.
    fn state_within(&self, fresh: Duration) -> MutexGuard<'_, State> {
        let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if fresh.is_zero() || state.checked.elapsed() >= fresh {
            if let Err(e) = self.refresh(&mut state) {
                tracing::warn!("keeping the accounts read before: {e}");
            }
        }
        state
    }

    /// Looks `find` up in a state checked within [`FRESH`]; when it finds nothing, checks the
    /// file again and looks once more.
    fn lookup<T>(&self, find: impl Fn(&AccountsFile) -> Option<T>) -> Option<T> {
        if let Some(found) = find(&self.state_within(FRESH).file) {
            return Some(found);
        }
        find(&self.state().file)
    }

    fn refresh(&self, state: &mut State) -> Result<(), AuthError> {
        let checked = Instant::now();
        if current_stamp(&self.inner.path)? != state.stamp {
            let (stamp, file) = read_file(&self.inner.path)?;
            state.stamp = stamp;
            state.file = file;
        }
        state.checked = checked;
        Ok(())
    }

    /// Applies `change` to the freshest file and writes it; the other processes' writers wait.
    fn write<T>(
        &self,
        change: impl FnOnce(&mut AccountsFile) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let path = &self.inner.path;
        let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = TmpFile::create(path.with_extension("json.tmp"))?;
        // Read again under the lock: another process may have written a moment ago within
        // the same mtime tick.
        let (_, mut file) = read_file(path)?;
        let out = change(&mut file)?;
        file.version = VERSION;
        file.users.sort_by(|a, b| a.user.id.cmp(&b.user.id));
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| AuthError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        tmp.commit(&bytes, path)?;
        *state = State {
            stamp: current_stamp(path)?,
            file,
            checked: Instant::now(),
        };
        Ok(out)
    }

    /// Adds a user and issues their first API token, returned in plain text this once (only
    /// its hash is kept). Refuses a taken id or email, a bad id, no roles, a bad commitment id,
    /// a password shorter than [`MIN_PASSWORD_CHARS`]. Blocks: hashes the password.
    pub fn add_user(&self, new: NewUser) -> Result<(User, String), AuthError> {
        check_new_user(&new)?;
        let hash = new
            .password
            .as_deref()
            .map(secret::hash_password)
            .transpose()?;
        let (user, token) = self.insert(new, hash, true)?;
        let token = token.ok_or_else(|| AuthError::Crypto("no token issued".into()))?;
        Ok((user, token))
    }

    /// [`Accounts::add_user`] with the password already hashed, with or without a token.
    pub(super) fn insert(
        &self,
        new: NewUser,
        password_hash: Option<String>,
        with_token: bool,
    ) -> Result<(User, Option<String>), AuthError> {
        check_new_user(&new)?;
        let token = with_token.then(secret::new_token).transpose()?;
        let user = new.user();
        let record = Record {
            user: user.clone(),
            password_hash,
            tokens: token.iter().map(|t| token_record(t)).collect(),
        };
        self.write(|file| {
            if file.users.iter().any(|r| r.user.id == user.id) {
                return Err(AuthError::DuplicateId(user.id.clone()));
            }
            if let Some(email) = &user.email {
                if file.users.iter().any(|r| same_email(&r.user.email, email)) {
                    return Err(AuthError::DuplicateEmail(email.clone()));
                }
            }
            file.users.push(record);
            Ok(())
        })?;
        Ok((user, token))
    }

    /// Sets (or replaces) a user's password. Blocks: hashes the password.
    pub fn set_password(&self, id: &str, password: &str) -> Result<(), AuthError> {
        check_password(password)?;
        let hash = secret::hash_password(password)?;
        self.write(|file| {
            record_mut(file, id)?.password_hash = Some(hash);
            Ok(())
        })
    }

    /// Issues another API token for a user; returns it in plain text, this once.
    pub fn new_token(&self, id: &str) -> Result<String, AuthError> {
        let token = secret::new_token()?;
        self.write(|file| {
            record_mut(file, id)?.tokens.push(token_record(&token));
            Ok(())
        })?;
        Ok(token)
    }

    pub fn user(&self, id: &str) -> Option<User> {
        self.lookup(|file| {
            let record = file.users.iter().find(|r| r.user.id == id)?;
            Some(record.user.clone())
        })
    }

    /// Every user, by id.
    pub fn users(&self) -> Vec<User> {
        let state = self.state();
        state.file.users.iter().map(|r| r.user.clone()).collect()
    }

    /// The members of a commitment's working group, by id.
    pub fn working_group(&self, commitment_id: &str) -> Vec<User> {
        let state = self.state();
        let members = state.file.users.iter().map(|r| &r.user);
        members
            .filter(|u| u.in_working_group(commitment_id))
            .cloned()
            .collect()
    }

    /// The user whose id or email is `login`, if `password` is theirs. An unknown login or a
    /// user without a password costs the same argon2 run as a wrong password, so the time
    /// taken does not tell which logins exist.
    ///
    /// CPU-heavy (argon2id: tens of milliseconds in a release build): on an async runtime call
    /// it through `spawn_blocking`.
    pub fn verify_password(&self, login: &str, password: &str) -> Option<User> {
        let found = {
            let state = self.state();
            let users = &state.file.users;
            users
                .iter()
                .find(|r| r.user.id == login)
                .or_else(|| users.iter().find(|r| same_email(&r.user.email, login)))
                .and_then(|r| Some((r.user.clone(), r.password_hash.clone()?)))
        };
        match found {
            Some((user, hash)) => secret::verify_password(password, &hash).then_some(user),
            None => {
                secret::verify_against_dummy(password);
                None
            }
        }
    }

    /// The user an API token belongs to. The token is hashed and the hash looked up; comparing
    /// hashes reveals nothing useful about the stored tokens.
    pub fn user_for_token(&self, token: &str) -> Option<User> {
        let hash = secret::sha256_hex(token);
        self.lookup(|file| {
            let record = file
                .users
                .iter()
                .find(|r| r.tokens.iter().any(|t| t.sha256 == hash))?;
            Some(record.user.clone())
        })
    }
}

fn token_record(token: &str) -> TokenRecord {
    TokenRecord {
        sha256: secret::sha256_hex(token),
        created: jiff::Timestamp::now().to_string(),
    }
}

fn record_mut<'f>(file: &'f mut AccountsFile, id: &str) -> Result<&'f mut Record, AuthError> {
    file.users
        .iter_mut()
        .find(|r| r.user.id == id)
        .ok_or_else(|| AuthError::UnknownUser(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn new_user(id: &str, password: Option<&str>) -> NewUser {
        NewUser {
            id: id.into(),
            name: "王小明".into(),
            email: Some(format!("{id}@example.org")),
            sector: Sector::CivilSociety,
            roles: [Role::Drafter].into(),
            commitments: ["c01-open-data-framework".to_string()].into(),
            agency: None,
            password: password.map(String::from),
        }
    }

    #[test]
    fn a_missing_file_is_no_users_and_the_first_write_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        assert!(accounts.users().is_empty());
        assert!(!accounts.path().exists());
        let (user, token) = accounts
            .add_user(new_user("wang", Some("long enough")))
            .unwrap();
        assert_eq!(user.name, "王小明");
        assert_eq!(accounts.user_for_token(&token), Some(user.clone()));
        assert_eq!(accounts.user_for_token(&format!("{token}x")), None);
        assert_eq!(accounts.users(), vec![user.clone()]);
        assert_eq!(
            accounts.working_group("c01-open-data-framework"),
            vec![user]
        );
        assert!(accounts.working_group("c02").is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(accounts.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME], "no .tmp left");
    }

    #[test]
    fn new_users_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        accounts.add_user(new_user("wang", None)).unwrap();
        let refused = |new: NewUser| accounts.add_user(new).unwrap_err().to_string();
        assert!(refused(new_user("wang", None)).contains("already exists"));
        let mut same_email = new_user("li", None);
        same_email.email = Some("WANG@example.org".into());
        assert!(refused(same_email).contains("email"));
        for id in ["", "a/b", "a@b", " a", "a\nb", &"x".repeat(65)] {
            assert!(
                refused(new_user(id, None)).contains("bad user id"),
                "{id:?}"
            );
        }
        assert!(accounts.add_user(new_user(&"字".repeat(64), None)).is_ok());
        assert!(refused(new_user("li", Some("short"))).contains("weak password"));
        let mut no_roles = new_user("li", None);
        no_roles.roles.clear();
        assert!(refused(no_roles).contains("role"));
        let mut bad_wg = new_user("li", None);
        bad_wg.commitments.insert("C 01".into());
        assert!(refused(bad_wg).contains("commitment"));
        let mut bad_email = new_user("li", None);
        bad_email.email = Some("li at example.org".into());
        assert!(refused(bad_email).contains("email"));
        assert_eq!(accounts.users().len(), 2);
    }

    #[test]
    fn passwords_and_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        let (user, first) = accounts.add_user(new_user("wang", None)).unwrap();
        assert_eq!(
            accounts.verify_password("wang", ""),
            None,
            "no password yet"
        );
        accounts.set_password("wang", "open sesame").unwrap();
        assert_eq!(
            accounts.verify_password("wang", "open sesame"),
            Some(user.clone())
        );
        assert_eq!(
            accounts.verify_password("Wang@Example.org", "open sesame"),
            Some(user.clone()),
            "by email"
        );
        assert_eq!(accounts.verify_password("wang", "open sesamE"), None);
        assert_eq!(accounts.verify_password("nobody", "open sesame"), None);
        assert!(matches!(
            accounts.set_password("nobody", "open sesame"),
            Err(AuthError::UnknownUser(_))
        ));
        let second = accounts.new_token("wang").unwrap();
        assert_ne!(first, second);
        for t in [&first, &second] {
            assert_eq!(accounts.user_for_token(t), Some(user.clone()));
        }
        let text = fs::read_to_string(accounts.path()).unwrap();
        assert!(!text.contains(&first) && !text.contains(&second) && !text.contains("sesame"));
        assert!(text.contains(&secret::sha256_hex(&first)) && text.contains("$argon2id$"));
    }

    #[test]
    fn a_change_to_a_known_user_is_seen_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        let (_, token) = accounts.add_user(new_user("wang", None)).unwrap();
        assert_eq!(accounts.user_for_token(&token).unwrap().name, "王小明");
        // Another process edits the file.
        let text = fs::read_to_string(accounts.path()).unwrap();
        fs::write(accounts.path(), text.replace("王小明", "王大明")).unwrap();
        std::thread::sleep(FRESH + Duration::from_millis(100));
        assert_eq!(accounts.user("wang").unwrap().name, "王大明");
        assert_eq!(accounts.user_for_token(&token).unwrap().name, "王大明");
    }

    #[test]
    fn a_second_handle_sees_the_first_ones_writes() {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(dir.path()).unwrap();
        let b = Accounts::open(dir.path()).unwrap();
        a.add_user(new_user("wang", None)).unwrap();
        assert!(b.user("wang").is_some());
        // Written by b, which read the file before a's second write: nothing is lost.
        a.add_user(new_user("li", None)).unwrap();
        b.add_user(new_user("chen", None)).unwrap();
        assert_eq!(a.users().len(), 3);
    }

    #[test]
    fn a_corrupt_file_is_refused_on_open_and_kept_on_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        accounts.add_user(new_user("wang", None)).unwrap();
        fs::write(accounts.path(), "{ not json").unwrap();
        assert!(matches!(
            Accounts::open(dir.path()),
            Err(AuthError::Corrupt { .. })
        ));
        assert!(accounts.user("wang").is_some(), "the last good state");
        assert!(
            accounts.add_user(new_user("li", None)).is_err(),
            "no blind overwrite"
        );
    }

    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        let tmp = dir.path().join("accounts.json.tmp");
        let file = File::create(&tmp).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        accounts.add_user(new_user("wang", None)).unwrap();
        assert!(!tmp.exists());
    }
}
