//! Paths used by the code `#[requires_scopes]` generates. Not public API: no semver
//! guarantees, may change in any release.

pub use crate::scopes::{RequireScopes, ScopeSet};
