// The migrations are embedded here (`db::migrate`, `embed_migrations!`); without this,
// a migration added or edited leaves an incremental build with the old set.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
