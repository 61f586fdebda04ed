// `scope_set!` (the hand-written form of the scope guard) checks its scopes at compile
// time too.
auth_rocket::scope_set!(ReadWrite = ["read write"]);

fn main() {}
