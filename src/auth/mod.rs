//! People and permissions: who a user is ([`User`]: sector, roles, working groups), the
//! accounts file that holds users and their secrets ([`accounts`]), web login sessions and
//! the failed-login limiter ([`session`]), password and token hashing ([`secret`]) and the
//! demo accounts ([`demo`]).
//!
//! Knows no HTTP (the web layer wraps it) and nothing of `web` or `workflow`. Secrets live in
//! `<data>/accounts.json`, beside `<data>/plan.git` and never inside the repository.

pub mod accounts;
pub mod demo;
pub mod secret;
pub mod session;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use accounts::{Accounts, NewUser};
pub use session::{csrf_matches, LoginLimiter, Session, Sessions};

/// The two sectors of the forum, with the words `forum/members.toml` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Government,
    CivilSociety,
}

impl Sector {
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Government => "government",
            Sector::CivilSociety => "civil_society",
        }
    }
}

impl FromStr for Sector {
    type Err = String;
    fn from_str(s: &str) -> Result<Sector, String> {
        match s {
            "government" => Ok(Sector::Government),
            "civil_society" | "civil-society" => Ok(Sector::CivilSociety),
            _ => Err(format!(
                "unknown sector \"{s}\" (government or civil_society)"
            )),
        }
    }
}

impl fmt::Display for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user may do. A user holds a set of roles; `Public` alone means a registered reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The secretariat: manages accounts and the plan's settings.
    Admin,
    /// Convenes the forum (a convener or co-convener in `forum/members.toml`).
    Convener,
    ForumMember,
    Drafter,
    Translator,
    Public,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Convener,
        Role::ForumMember,
        Role::Drafter,
        Role::Translator,
        Role::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Convener => "convener",
            Role::ForumMember => "forum_member",
            Role::Drafter => "drafter",
            Role::Translator => "translator",
            Role::Public => "public",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    /// The serialized names, plus `secretariat` for `admin` and `forum-member`.
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "secretariat" => return Ok(Role::Admin),
            "forum-member" => return Ok(Role::ForumMember),
            _ => {}
        }
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role \"{s}\" ({})", names.join(", "))
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who can sign in. Holds no secrets, so it can be shown and serialized as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The login name: unique, 1–64 characters, no control characters, no `/`, no `@`.
    pub id: String,
    /// The display name (may be Chinese).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub sector: Sector,
    pub roles: BTreeSet<Role>,
    /// The working groups (commitment ids) the user belongs to.
    #[serde(default)]
    pub commitments: BTreeSet<String>,
    /// The agency the user works for (a government agency as commitments name their lead
    /// agencies, e.g. `法務部`): they answer the public input assigned to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn in_working_group(&self, commitment_id: &str) -> bool {
        self.commitments.contains(commitment_id)
    }

    /// Holds any role other than `Public`.
    pub fn is_staff(&self) -> bool {
        self.roles.iter().any(|r| *r != Role::Public)
    }
}

/// Shortest password accepted by [`Accounts::add_user`] and [`Accounts::set_password`].
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown user \"{0}\"")]
    UnknownUser(String),
    #[error("a user with id \"{0}\" already exists")]
    DuplicateId(String),
    #[error("another user already has the email \"{0}\"")]
    DuplicateEmail(String),
    #[error("bad user id \"{0}\": 1–64 characters, no control characters, no '/' or '@'")]
    BadId(String),
    #[error("weak password: it needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// Another field of a new user is wrong (the message says which).
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid accounts file: {message}")]
    Corrupt {
        path: std::path::PathBuf,
        message: String,
    },
    /// The system's random number generator or the password hasher failed.
    #[error("{0}")]
    Crypto(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_and_roles_read_and_print_their_names() {
        for s in [Sector::Government, Sector::CivilSociety] {
            assert_eq!(s.to_string().parse::<Sector>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!("secretariat".parse::<Role>(), Ok(Role::Admin));
        assert_eq!("forum-member".parse::<Role>(), Ok(Role::ForumMember));
        assert!("king".parse::<Role>().unwrap_err().contains("drafter"));
        assert!("press".parse::<Sector>().is_err());
    }

    #[test]
    fn user_helpers() {
        let mut u = User {
            id: "a".into(),
            name: "甲".into(),
            email: None,
            sector: Sector::CivilSociety,
            roles: [Role::Public].into(),
            commitments: ["c01".to_string()].into(),
            agency: None,
        };
        assert!(!u.is_staff() && u.has(Role::Public) && !u.has(Role::Drafter));
        assert!(u.in_working_group("c01") && !u.in_working_group("c02"));
        u.roles.insert(Role::Translator);
        assert!(u.is_staff());
    }
}
