//! The `repr(C)` types in `ffi` against Carla's installed headers: a C program compiled here
//! prints each size and offset, and they must equal Rust's.
//!
//! Needs Carla's headers (`/usr/include/carla`, from Carla's package) and a C compiler; without
//! them the test says so and records the skip (`cargo xtask ci` counts skips).

use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use carla_lib::ffi::*;

const PROBE: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include "CarlaNative.h"
#include "CarlaHost.h"
typedef struct { unsigned int ins, outs; } PortCount;
#define SIZE(t) printf("size %s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offset %s.%s %zu\n", #t, #f, offsetof(t, f))
int main(void) {
    SIZE(NativeMidiEvent); OFF(NativeMidiEvent, time); OFF(NativeMidiEvent, port);
    OFF(NativeMidiEvent, size); OFF(NativeMidiEvent, data);
    SIZE(NativeTimeInfoBBT); OFF(NativeTimeInfoBBT, tick); OFF(NativeTimeInfoBBT, beatsPerMinute);
    SIZE(NativeTimeInfo); OFF(NativeTimeInfo, frame); OFF(NativeTimeInfo, bbt);
    SIZE(NativeHostDescriptor); OFF(NativeHostDescriptor, resourceDir);
    OFF(NativeHostDescriptor, get_buffer_size); OFF(NativeHostDescriptor, is_offline);
    OFF(NativeHostDescriptor, write_midi_event); OFF(NativeHostDescriptor, dispatcher);
    OFF(NativePluginDescriptor, audioIns); OFF(NativePluginDescriptor, audioOuts);
    OFF(NativePluginDescriptor, midiIns); OFF(NativePluginDescriptor, name);
    OFF(NativePluginDescriptor, instantiate); OFF(NativePluginDescriptor, cleanup);
    OFF(NativePluginDescriptor, activate); OFF(NativePluginDescriptor, deactivate);
    OFF(NativePluginDescriptor, process); OFF(NativePluginDescriptor, dispatcher);
    SIZE(CarlaPluginInfo); OFF(CarlaPluginInfo, name); OFF(CarlaPluginInfo, label);
    OFF(CarlaPluginInfo, maker);
    SIZE(CarlaParameterInfo); OFF(CarlaParameterInfo, symbol); OFF(CarlaParameterInfo, unit);
    SIZE(ParameterData); OFF(ParameterData, hints);
    SIZE(ParameterRanges); OFF(ParameterRanges, min); OFF(ParameterRanges, max);
    SIZE(MidiProgramData); OFF(MidiProgramData, program); OFF(MidiProgramData, name);
    return 0;
}
"#;

fn rust_layout() -> Vec<String> {
    macro_rules! size {
        ($t:ident) => {
            format!("size {} {}", stringify!($t), size_of::<$t>())
        };
    }
    macro_rules! off {
        ($t:ident, $f:ident) => {
            format!(
                "offset {}.{} {}",
                stringify!($t),
                stringify!($f),
                offset_of!($t, $f)
            )
        };
    }
    vec![
        size!(NativeMidiEvent),
        off!(NativeMidiEvent, time),
        off!(NativeMidiEvent, port),
        off!(NativeMidiEvent, size),
        off!(NativeMidiEvent, data),
        size!(NativeTimeInfoBBT),
        off!(NativeTimeInfoBBT, tick),
        off!(NativeTimeInfoBBT, beatsPerMinute),
        size!(NativeTimeInfo),
        off!(NativeTimeInfo, frame),
        off!(NativeTimeInfo, bbt),
        size!(NativeHostDescriptor),
        off!(NativeHostDescriptor, resourceDir),
        off!(NativeHostDescriptor, get_buffer_size),
        off!(NativeHostDescriptor, is_offline),
        off!(NativeHostDescriptor, write_midi_event),
        off!(NativeHostDescriptor, dispatcher),
        off!(NativePluginDescriptor, audioIns),
        off!(NativePluginDescriptor, audioOuts),
        off!(NativePluginDescriptor, midiIns),
        off!(NativePluginDescriptor, name),
        off!(NativePluginDescriptor, instantiate),
        off!(NativePluginDescriptor, cleanup),
        off!(NativePluginDescriptor, activate),
        off!(NativePluginDescriptor, deactivate),
        off!(NativePluginDescriptor, process),
        off!(NativePluginDescriptor, dispatcher),
        size!(CarlaPluginInfo),
        format!(
            "offset CarlaPluginInfo.name {}",
            offset_of!(CarlaPluginInfo, name)
        ),
        format!(
            "offset CarlaPluginInfo.label {}",
            offset_of!(CarlaPluginInfo, label)
        ),
        format!(
            "offset CarlaPluginInfo.maker {}",
            offset_of!(CarlaPluginInfo, maker)
        ),
        size!(CarlaParameterInfo),
        off!(CarlaParameterInfo, symbol),
        off!(CarlaParameterInfo, unit),
        size!(ParameterData),
        off!(ParameterData, hints),
        size!(ParameterRanges),
        off!(ParameterRanges, min),
        off!(ParameterRanges, max),
        size!(MidiProgramData),
        off!(MidiProgramData, program),
        off!(MidiProgramData, name),
    ]
}

/// Every Carla found whose headers are installed beside it (`PREFIX/include/carla` for
/// `PREFIX/lib/carla`): the types must match each version's headers (2.5 and 2.6 alike).
#[test]
fn ffi_types_match_carlas_headers() {
    let includes: Vec<std::path::PathBuf> = carla_lib::CarlaInstall::find_all(&[])
        .iter()
        .filter_map(|install| {
            let prefix = install.dir().parent()?.parent()?;
            let include = prefix.join("include/carla/includes");
            include.join("CarlaNative.h").is_file().then_some(include)
        })
        .collect();
    if includes.is_empty() {
        pycarla_integration::record_carla_skip("no Carla with its headers installed");
        return;
    }
    for include in includes {
        check_layout(&include);
    }
}

fn check_layout(include: &Path) {
    let dir = tempfile_dir();
    let source = dir.join("probe.c");
    let binary = dir.join("probe");
    std::fs::write(&source, PROBE).unwrap();
    let compiled = Command::new("cc")
        .arg("-I")
        .arg(include)
        .arg("-I")
        .arg(include.parent().expect("includes/ has a parent"))
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .status()
        .expect("a C compiler (cc)");
    assert!(
        compiled.success(),
        "the layout probe did not compile against {}",
        include.display()
    );
    let output = Command::new(&binary).output().unwrap();
    let c_layout: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(rust_layout(), c_layout, "against {}", include.display());
    // CarlaPortCountInfo is two uint32_t, as the probe's PortCount.
    assert_eq!(size_of::<CarlaPortCountInfo>(), 8);
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("carla-lib-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
