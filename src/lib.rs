//! codraft: government and civil society write an open-government national action plan
//! together. See `ARCHITECTURE.md` for the map; each module's first lines say what it owns.

pub mod auth;
pub mod diff;
pub mod doc;
pub mod live;
pub mod store;
pub mod web;
pub mod webhooks;
pub mod workflow;
