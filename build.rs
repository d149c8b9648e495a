//! Rebuilds when the folders compiled into the binary change (`include_dir!` alone does not
//! tell cargo about files added to them).

fn main() {
    for dir in ["repo-template", "demo", "templates", "static"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
