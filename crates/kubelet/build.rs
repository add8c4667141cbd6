//! Builds the pause program (`pause/pause.c`), the first process of every
//! pod sandbox, as a static, stripped executable in OUT_DIR; `images::pause`
//! puts it into rkube's own sandbox image with `include_bytes!`.
//!
//! The `cc` crate finds the C compiler (CC, the target's gcc); it is run
//! here to link an executable, which `cc::Build` itself does not do.

use std::path::PathBuf;
use std::process::Command;

#[allow(
    clippy::print_stdout,
    reason = "cargo reads a build script's instructions from its standard output"
)]
fn main() {
    let source = PathBuf::from("pause/pause.c");
    println!("cargo:rerun-if-changed={}", source.display());
    let out_dir = match std::env::var_os("OUT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => fail("OUT_DIR is not set"),
    };
    let output = out_dir.join("pause");
    let compiler = match cc::Build::new()
        .cargo_metadata(false)
        .opt_level_str("s")
        .try_get_compiler()
    {
        Ok(compiler) => compiler,
        Err(error) => fail(&format!(
            "no C compiler for the pause program ({error}); install the Debian package gcc"
        )),
    };
    let status = Command::new(compiler.path())
        .args(["-static", "-Os", "-s", "-Wall", "-Wextra", "-o"])
        .arg(&output)
        .arg(&source)
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!(
            "compiling {} failed ({status}); a static build needs the C library's static files \
             (Debian package libc6-dev)",
            source.display()
        )),
        Err(error) => fail(&format!(
            "running {}: {error}; install the Debian package gcc",
            compiler.path().display()
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
