//! Compile tests for `#[requires_scopes]`: `pass/` must build, `fail/` must fail with
//! the error in the `.stderr` next to it (regenerate with `TRYBUILD=overwrite`, then
//! review the diff: the snapshots depend on the pinned toolchain).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
