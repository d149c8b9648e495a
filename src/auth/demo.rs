//! The demo's accounts: one per member of the demo forum, plus the secretariat and a
//! translator, all with the published password [`DEMO_PASSWORD`].
//!
//! The demo runs on one's own machine to show codraft; a known password is what lets a visitor
//! sign in as any member of either sector and try the workflow. Never seed a real plan this way.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Accounts, AuthError, NewUser, Role, Sector, User};
use crate::doc::Forum;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "codraft-demo";

/// The accounts for a forum: members' roles become `{convener, forum_member, drafter}` for a
/// convener or co-convener and `{forum_member, drafter}` for a member; their working groups
/// become their commitments. Then `secretariat` (admin) and `translator`.
pub fn accounts_for(forum: &Forum) -> Result<Vec<NewUser>, AuthError> {
    let mut out = Vec::new();
    for m in &forum.members {
        let mut roles: BTreeSet<Role> = [Role::ForumMember, Role::Drafter].into();
        if m.role == "convener" || m.role == "co-convener" {
            roles.insert(Role::Convener);
        }
        out.push(NewUser {
            id: m.id.clone(),
            name: m.name.clone(),
            email: Some(m.email.clone()).filter(|e| !e.is_empty()),
            sector: m.sector.parse().map_err(AuthError::Invalid)?,
            roles,
            commitments: m.working_groups.iter().cloned().collect(),
            // Government members answer public input for their agency.
            agency: (m.sector == "government" && !m.organization.is_empty())
                .then(|| m.organization.clone()),
            password: Some(DEMO_PASSWORD.into()),
        });
    }
    let staff = |id: &str, name: &str, email: &str, sector, role| NewUser {
        id: id.into(),
        name: name.into(),
        email: Some(email.into()),
        sector,
        roles: [role].into(),
        commitments: BTreeSet::new(),
        agency: None,
        password: Some(DEMO_PASSWORD.into()),
    };
    out.push(staff(
        "secretariat",
        "國家發展委員會 秘書處",
        "secretariat@ndc.example.gov.tw",
        Sector::Government,
        Role::Admin,
    ));
    out.push(staff(
        "translator",
        "譯者 Translator",
        "translator@example.org",
        Sector::CivilSociety,
        Role::Translator,
    ));
    Ok(out)
}

/// Creates the demo accounts in `data_dir` when it has no accounts file yet; returns them, or
/// `None` when the file was already there (its accounts are left alone). No API tokens are
/// issued (`codraft user token` makes one).
pub fn seed(data_dir: &Path, forum: &Forum) -> Result<Option<Vec<User>>, AuthError> {
    let accounts = Accounts::open(data_dir)?;
    if accounts.path().exists() {
        return Ok(None);
    }
    // One hash for all: the password is public, so a salt per account would protect nothing,
    // and each argon2 run costs tens of milliseconds (half a second in a debug build).
    let hash = super::secret::hash_password(DEMO_PASSWORD)?;
    let mut users = Vec::new();
    for new in accounts_for(forum)? {
        users.push(accounts.insert(new, Some(hash.clone()), false)?.0);
    }
    Ok(Some(users))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_staff_and_the_demo_password() {
        let forum = Forum::parse(
            r#"
[[members]]
id = "chou"
name = "周明哲"
sector = "government"
role = "co-convener"
email = "chou@example.gov.tw"
working_groups = ["c01-open-data-framework"]

[[members]]
id = "lin"
name = "林"
sector = "civil_society"
role = "member"
"#,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let users = seed(dir.path(), &forum).unwrap().unwrap();
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["chou", "lin", "secretariat", "translator"]);
        assert!(
            users[0].has(Role::Convener) && users[0].in_working_group("c01-open-data-framework")
        );
        assert!(!users[1].has(Role::Convener) && users[1].has(Role::Drafter));
        assert_eq!(users[1].sector, Sector::CivilSociety);
        assert!(users[2].has(Role::Admin) && users[3].has(Role::Translator));

        let accounts = Accounts::open(dir.path()).unwrap();
        assert_eq!(
            accounts.verify_password("chou@example.gov.tw", DEMO_PASSWORD),
            Some(users[0].clone())
        );
        assert!(seed(dir.path(), &forum).unwrap().is_none(), "only once");
    }
}
