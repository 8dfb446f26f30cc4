//! `voelgoed demo` run as a process, as a new user would start it.

use std::process::Command;

/// What a run of the demo printed.
pub struct DemoRun {
    pub seeded: bool,
    /// "  email / password  (…)"
    pub logins: Vec<(String, String)>,
    /// The path of the pairing link it printed for a phone.
    pub pairing_link: Option<String>,
}

/// `voelgoed demo` on `dir/demo.sqlite` (quiet simulator) until it serves, then ended
/// with SIGTERM: what it printed.
pub fn run_demo(dir: &std::path::Path) -> DemoRun {
    use std::io::{BufRead, BufReader};
    let mut demo = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(["demo", "--addr", "127.0.0.1:0", "--live-orders", "300"])
        .args(["--orders-per-second", "0", "--scans-per-second", "0"])
        .arg("--database")
        .arg(dir.join("demo.sqlite"))
        .arg("--mail-log")
        .arg(dir.join("mail.log"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let serving = line.starts_with("Voelgoed demo console:");
        printed.push(line);
        if serving {
            break;
        }
    }
    // The logins follow at once; SIGTERM then ends it as a service manager would.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let ended = Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status()
        .unwrap();
    assert!(ended.success());
    printed.extend(lines.map(Result::unwrap));
    demo.wait().unwrap();
    let seeded = printed.iter().any(|l| l == "Seeded the demo data.");
    let logins = printed
        .iter()
        .filter_map(|l| l.strip_prefix("  ")?.split_once("  (")?.0.split_once(" / "))
        .map(|(email, password)| (email.to_string(), password.to_string()))
        .collect();
    let pairing_link = printed
        .iter()
        .find_map(|l| l.strip_prefix("Pair a phone as the festival's scanner at gate North: http://"))
        .and_then(|rest| Some(rest[rest.find('/')?..].split_once(' ')?.0.to_owned()));
    DemoRun {
        seeded,
        logins,
        pairing_link,
    }
}
