//! Users, sectors, roles, sessions, tokens (to be written).
