//! Broken input gets a typed error naming what is wrong and where; never a panic.

use smf::testing::{file, track_chunk};
use smf::{Error, Timeline};

fn valid() -> Vec<u8> {
    file(
        1,
        96,
        &[vec![(0, vec![0x90, 60, 100]), (96, vec![0x80, 60, 0])]],
    )
}

#[test]
fn empty_file() {
    assert!(matches!(Timeline::parse(&[]), Err(Error::Empty)));
}

#[test]
fn wrong_magic() {
    let err = Timeline::parse(b"RIFF\x00\x00\x00\x06").unwrap_err();
    assert!(matches!(err, Error::BadMagic { .. }), "{err}");
    assert!(err.to_string().contains("MThd"));
}

#[test]
fn truncated_header() {
    let err = Timeline::parse(b"MThd\x00\x00").unwrap_err();
    assert!(
        matches!(err, Error::TruncatedChunk { offset: 0, .. }),
        "{err}"
    );
}

#[test]
fn header_too_short() {
    let err = Timeline::parse(b"MThd\x00\x00\x00\x02\x00\x01").unwrap_err();
    assert!(matches!(err, Error::ShortHeader { length: 2 }), "{err}");
}

#[test]
fn truncated_track_chunk_names_its_offset() {
    let mut bytes = valid();
    bytes.truncate(bytes.len() - 3);
    let err = Timeline::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::TruncatedChunk { offset: 14, .. }),
        "{err}"
    );
}

#[test]
fn impossible_chunk_length() {
    let mut bytes = valid();
    bytes[18..22].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = Timeline::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::TruncatedChunk { declared, .. } if declared == u64::from(u32::MAX)),
        "{err}"
    );
}

#[test]
fn running_status_without_a_status_byte() {
    // A data byte where the first status byte should be.
    let bytes = file(0, 96, &[vec![(0, vec![60, 100])]]);
    let err = Timeline::parse(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Event {
                track: 0,
                offset: 22,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("running status"), "{err}");
}

#[test]
fn fewer_tracks_than_declared() {
    let mut bytes = valid();
    bytes[10..12].copy_from_slice(&3u16.to_be_bytes());
    let err = Timeline::parse(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingTracks {
                declared: 3,
                found: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn format_2_is_unsupported() {
    let bytes = file(2, 96, &[vec![(0, vec![0x90, 60, 100])]]);
    assert!(matches!(
        Timeline::parse(&bytes),
        Err(Error::UnsupportedFormat { format: 2 })
    ));
}

#[test]
fn format_0_with_two_tracks() {
    let bytes = file(0, 96, &[vec![], vec![]]);
    assert!(matches!(
        Timeline::parse(&bytes),
        Err(Error::Format0Tracks { found: 2 })
    ));
}

#[test]
fn zero_division() {
    let bytes = file(1, 0, &[vec![]]);
    assert!(matches!(Timeline::parse(&bytes), Err(Error::ZeroDivision)));
}

#[test]
fn corrupt_event_in_second_track_names_the_track() {
    let mut bytes = file(1, 96, &[vec![(0, vec![0x90, 60, 100])]]);
    bytes[11] = 2; // two tracks
    // A sysex whose declared length runs past the end of its track.
    let mut chunk = track_chunk(&[(0, vec![0xF0, 0x7F, 1, 2])]);
    chunk.truncate(chunk.len() - 4); // drop the End of Track
    let len = (chunk.len() - 8) as u32;
    chunk[4..8].copy_from_slice(&len.to_be_bytes());
    bytes.extend(chunk);
    let err = Timeline::parse(&bytes).unwrap_err();
    assert!(matches!(err, Error::Event { track: 1, .. }), "{err}");
}

#[test]
fn missing_file_names_the_path() {
    let err = Timeline::from_path("/nonexistent/song.mid").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/song.mid"), "{err}");
}

#[test]
fn smpte_division_times() {
    // 25 fps, 40 ticks a frame: 1000 ticks a second; tempo events do not apply.
    let division = u16::from_be_bytes([(-25i8) as u8, 40]);
    let bytes = file(
        0,
        division,
        &[vec![
            (0, vec![0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40]),
            (500, vec![0x90, 60, 100]),
        ]],
    );
    let timeline = Timeline::parse(&bytes).unwrap();
    assert_eq!(timeline.events()[0].time.seconds(), 0.5);
    assert_eq!(timeline.events()[0].time.frame(48_000), 24_000);
}

#[test]
fn meta_events_never_reach_the_timeline_but_count_for_duration() {
    let bytes = file(
        0,
        96,
        &[vec![
            (0, vec![0xFF, 0x03, 0x01, b'x']),
            (0, vec![0x90, 60, 100]),
            (192, vec![0xFF, 0x01, 0x01, b'y']),
        ]],
    );
    let timeline = Timeline::parse(&bytes).unwrap();
    assert_eq!(timeline.events().len(), 1);
    assert_eq!(timeline.duration().seconds(), 1.0);
}

#[test]
fn simultaneous_events_keep_track_then_file_order() {
    let bytes = file(
        1,
        96,
        &[
            vec![(10, vec![0x90, 1, 1]), (0, vec![0x90, 2, 1])],
            vec![(10, vec![0x90, 3, 1]), (0, vec![0x90, 4, 1])],
        ],
    );
    let timeline = Timeline::parse(&bytes).unwrap();
    let keys: Vec<u8> = timeline
        .events()
        .iter()
        .map(|e| e.message.bytes()[1])
        .collect();
    assert_eq!(keys, [1, 2, 3, 4]);
}

#[test]
fn tempo_in_a_later_track_applies_to_all() {
    let bytes = file(
        1,
        100,
        &[
            vec![(200, vec![0x90, 60, 100])],
            // 60 bpm from tick 100.
            vec![(100, vec![0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40])],
        ],
    );
    let timeline = Timeline::parse(&bytes).unwrap();
    assert_eq!(timeline.events()[0].time.seconds(), 1.5);
}

#[test]
fn files_above_the_size_limit_are_refused_before_reading() {
    let dir = std::env::temp_dir().join(format!("smf-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.mid");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(smf::MAX_FILE_SIZE + 1).unwrap(); // sparse: no disk used
    let err = Timeline::from_path(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}
