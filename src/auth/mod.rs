//! TEMPORARY stand-in for the auth module being written on branch h-auth (replaced at merge).
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Government,
    CivilSociety,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Convener,
    ForumMember,
    Drafter,
    Translator,
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub sector: Sector,
    pub roles: BTreeSet<Role>,
    pub commitments: BTreeSet<String>,
}

impl User {
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
    pub fn in_working_group(&self, c: &str) -> bool {
        self.commitments.contains(c)
    }
    pub fn is_staff(&self) -> bool {
        self.roles.iter().any(|r| *r != Role::Public)
    }
}
