//! The small commands: duration, ports, doctor, download, run.

use std::path::{Path, PathBuf};

use crate::Outcome;
use crate::args::DownloadArgs;

pub fn duration(files: &[PathBuf]) -> Outcome {
    let mut failed = false;
    for file in files {
        match pycarla::get_smf_duration(file) {
            Ok(seconds) if files.len() == 1 => println!("{seconds}"),
            Ok(seconds) => println!("{}\t{seconds}", file.display()),
            Err(error) => {
                eprintln!("error: {error}");
                failed = true;
            }
        }
    }
    if failed { Outcome::Failed } else { Outcome::Ok }
}

pub fn ports(server: Option<&str>) -> Outcome {
    let server = server
        .map(String::from)
        .or_else(|| std::env::var("JACK_DEFAULT_SERVER").ok())
        .unwrap_or_else(|| "default".to_string());
    let listed = server_ports(&server);
    match listed {
        Ok(ports) => {
            for port in ports {
                println!("{port}");
            }
            Outcome::Ok
        }
        Err(error) => {
            eprintln!("error: {error}");
            Outcome::Failed
        }
    }
}

fn server_ports(server: &str) -> Result<Vec<String>, pycarla::rt_core::client::Error> {
    let client = pycarla::rt_core::client::open("pycarla-ports", server)?;
    pycarla::rt_core::client::matching_ports(&client, "*")
}

/// `pycarla plugin SPEC`: what Carla sees in each plugin of it (one, or a project's), after
/// the settings given; its state saved when asked.
pub fn plugin(
    spec: &str,
    json: bool,
    controls: &crate::args::ControlArgs,
    save_state: Option<&Path>,
) -> Outcome {
    let path = Path::new(spec);
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let instrument = match extension.as_deref() {
        Some("carxp") => pycarla::Instrument::CarlaProject(path.to_path_buf()),
        _ => pycarla::Instrument::Plugins(vec![spec.to_string()]),
    };
    let controls = match crate::render::plugin_controls(controls) {
        Ok(controls) => controls,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failed;
        }
    };
    let described = match pycarla::offline::describe_with(&instrument, &controls, save_state) {
        Ok(described) => described,
        Err(error) => {
            eprintln!("error: {}", crate::render::one_line(&error));
            return Outcome::Failed;
        }
    };
    if json {
        let value = match described.as_slice() {
            [one] => serde_json::to_value(one),
            many => serde_json::to_value(many),
        };
        match value.and_then(|value| serde_json::to_string_pretty(&value)) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failed;
            }
        }
        return Outcome::Ok;
    }
    for plugin in described {
        println!(
            "{} ({}, {}) by {}: {} audio in, {} audio out, {} MIDI in, latency {} frames",
            plugin.name,
            plugin.format,
            plugin.label,
            plugin.maker,
            plugin.audio_ins,
            plugin.audio_outs,
            plugin.midi_ins,
            plugin.latency
        );
        for p in &plugin.parameters {
            println!(
                "  parameter {} {:?}{}: {} to {}, default {}{}",
                p.index,
                p.name,
                if p.symbol.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", p.symbol)
                },
                p.min,
                p.max,
                p.default,
                if p.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", p.unit)
                }
            );
        }
        for p in &plugin.programs {
            println!("  program {} {:?}", p.index, p.name);
        }
        for p in &plugin.midi_programs {
            println!("  MIDI program {}/{} {:?}", p.bank, p.program, p.name);
        }
    }
    Outcome::Ok
}

/// `pycarla doctor`: always succeeds (it reports; what is missing is in its output).
pub fn doctor(json: bool) -> Outcome {
    let report = pycarla::doctor::doctor();
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failed;
            }
        }
    } else {
        for line in report.lines() {
            println!("{line}");
        }
    }
    Outcome::Ok
}

pub fn download(args: &DownloadArgs) -> Outcome {
    let mut options =
        pycarla::carla_fetch::InstallOptions::new().trust_on_first_use(args.trust_on_first_use);
    if let Some(version) = &args.version {
        options = options.version(version.clone());
    }
    if let Some(dest) = &args.dest {
        options = options.dest(dest);
    }
    if let Some(url) = &args.base_url {
        options = options.base_url(url.clone());
    }
    if let Some(archive) = &args.from_file {
        options = options.from_file(archive);
    }
    if let Some(sha256) = &args.sha256 {
        options = options.sha256(sha256.clone());
    }
    match pycarla::carla_fetch::install(&options) {
        Ok(installation) => {
            if installation.verification == pycarla::carla_fetch::Verification::TrustOnFirstUse {
                eprintln!(
                    "warning: installed without a known hash; its SHA-256 is {} \
                     (pass --sha256 {} next time)",
                    installation.sha256, installation.sha256
                );
            }
            println!("{}", installation.executable.display());
            Outcome::Ok
        }
        Err(error) => {
            eprintln!("error: {error}");
            match error {
                pycarla::carla_fetch::Error::Unverifiable { .. } => {
                    eprintln!("hint: pass --sha256 HEX, or --trust-on-first-use");
                }
                pycarla::carla_fetch::Error::NotPublished { .. } => {
                    eprintln!("hint: --from-file ARCHIVE, --base-url URL or --version V");
                }
                _ => {}
            }
            Outcome::Failed
        }
    }
}

pub fn run_carla(project: Option<&Path>) -> Outcome {
    let Some(carla) = pycarla::find_carla() else {
        eprintln!("error: Carla is not installed: run `pycarla download` to install it");
        return Outcome::Failed;
    };
    let mut command = std::process::Command::new(carla);
    if let Some(project) = project {
        command.arg(project);
    }
    match command.status() {
        Ok(status) if status.success() => Outcome::Ok,
        Ok(status) => {
            eprintln!("error: Carla exited with {status}");
            Outcome::Failed
        }
        Err(error) => {
            eprintln!("error: cannot start Carla: {error}");
            Outcome::Failed
        }
    }
}
