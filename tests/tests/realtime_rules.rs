//! The process callbacks of the player and the recorder never allocate: a counting global
//! allocator counts every allocation made while a callback runs, over a whole render.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jack::{AudioIn, Client, Control, MidiOut, ProcessHandler, ProcessScope};
use pycarla_integration::{TestServer, impulse_host, midi_dir, schedule_of};
use rt_core::internals::{
    DuplexProcess, PlayerJob, PlayerProcess, PlayerStatus, Postman, RecorderJob, RecorderProcess,
    RecorderStatus, mailbox,
};
use rt_core::watch::{Watch, WatchState};
use rt_core::{StartSync, client};

struct Counting;

static ALLOCATIONS_IN_CALLBACK: AtomicU64 = AtomicU64::new(0);
static CALLBACKS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: delegates to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if IN_CALLBACK.with(Cell::get) {
            ALLOCATIONS_IN_CALLBACK.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if IN_CALLBACK.with(Cell::get) {
            ALLOCATIONS_IN_CALLBACK.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if IN_CALLBACK.with(Cell::get) {
            ALLOCATIONS_IN_CALLBACK.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Marks the thread as "in a callback" around the wrapped handler.
struct Guarded<P>(P);

impl<P: ProcessHandler> ProcessHandler for Guarded<P> {
    fn process(&mut self, client: &Client, scope: &ProcessScope) -> Control {
        IN_CALLBACK.with(|flag| flag.set(true));
        let control = self.0.process(client, scope);
        IN_CALLBACK.with(|flag| flag.set(false));
        CALLBACKS.fetch_add(1, Ordering::Relaxed);
        control
    }
}

/// A handler that allocates, to prove the counter sees allocations in callbacks.
struct Allocating;
impl ProcessHandler for Allocating {
    fn process(&mut self, _: &Client, _: &ProcessScope) -> Control {
        std::hint::black_box(vec![0u8; 16]);
        Control::Continue
    }
}

#[test]
fn player_and_recorder_callbacks_do_not_allocate() {
    let server = TestServer::start(256);
    let _instrument = server.host(impulse_host());

    // The counter works: an allocating callback is caught.
    {
        let probe = client::open("alloc-probe", &server.name).unwrap();
        let active = probe.activate_async((), Guarded(Allocating)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while ALLOCATIONS_IN_CALLBACK.load(Ordering::Relaxed) == 0 {
            assert!(Instant::now() < deadline, "the probe callback never ran");
            std::thread::yield_now();
        }
        drop(active.deactivate());
    }
    ALLOCATIONS_IN_CALLBACK.store(0, Ordering::Relaxed);
    CALLBACKS.store(0, Ordering::Relaxed);

    let timeline = smf::Timeline::from_path(midi_dir().join("test19.mid")).unwrap();
    let schedule = schedule_of(&timeline, 48_000);
    let total = timeline.duration().frame(48_000) + 4_800;
    let watch = Arc::new(WatchState::default());

    // The processes as a session builds them: no job yet, a mailbox for jobs.
    let rec_client = client::open("rec", &server.name).unwrap();
    let ports = vec![
        rec_client
            .register_port("in_1", AudioIn::default())
            .unwrap(),
        rec_client
            .register_port("in_2", AudioIn::default())
            .unwrap(),
    ];
    let (mut rec_postman, rec_mailbox) = mailbox();
    let recorder = RecorderProcess::new(ports, rec_mailbox, watch.clone());
    let recorder = rec_client
        .activate_async(
            Watch::new(watch.clone(), vec!["Carla".into()]),
            Guarded(recorder),
        )
        .unwrap();
    let rec_name = recorder.as_client().name().to_string();
    for i in 1..=2 {
        recorder
            .as_client()
            .connect_ports_by_name(
                &format!("Carla:audio-out{i}"),
                &format!("{rec_name}:in_{i}"),
            )
            .unwrap();
    }
    let play_client = client::open("play", &server.name).unwrap();
    let port = play_client
        .register_port("midi_out", MidiOut::default())
        .unwrap();
    let (mut play_postman, play_mailbox) = mailbox();
    let player = PlayerProcess::new(port, play_mailbox);
    let player = play_client
        .activate_async(
            Watch::new(watch.clone(), vec!["Carla".into()]),
            Guarded(player),
        )
        .unwrap();
    let play_name = player.as_client().name().to_string();
    player
        .as_client()
        .connect_ports_by_name(&format!("{play_name}:midi_out"), "Carla:events-in")
        .unwrap();

    render_twice(
        &mut rec_postman,
        &mut play_postman,
        player.as_client(),
        &schedule,
        total,
    );
    drop(player.deactivate());
    drop(recorder.deactivate());

    // The same two processes in one client, as a session shares them (`DuplexProcess`).
    let duplex_client = client::open("duplex", &server.name).unwrap();
    let ports = ["in_1", "in_2"].map(|name| {
        duplex_client
            .register_port(name, AudioIn::default())
            .unwrap()
    });
    let midi = duplex_client
        .register_port("midi_out", MidiOut::default())
        .unwrap();
    let (mut rec_postman, rec_mailbox) = mailbox();
    let (mut play_postman, play_mailbox) = mailbox();
    let duplex = DuplexProcess::new(
        PlayerProcess::new(midi, play_mailbox),
        RecorderProcess::new(ports.into(), rec_mailbox, watch.clone()),
    );
    let duplex = duplex_client
        .activate_async(
            Watch::new(watch.clone(), vec!["Carla".into()]),
            Guarded(duplex),
        )
        .unwrap();
    let name = duplex.as_client().name().to_string();
    let jack = duplex.as_client();
    jack.connect_ports_by_name(&format!("{name}:midi_out"), "Carla:events-in")
        .unwrap();
    for i in 1..=2 {
        jack.connect_ports_by_name(&format!("Carla:audio-out{i}"), &format!("{name}:in_{i}"))
            .unwrap();
    }
    render_twice(&mut rec_postman, &mut play_postman, jack, &schedule, total);
    drop(duplex.deactivate());

    assert!(CALLBACKS.load(Ordering::Relaxed) > 1_000, "callbacks ran");
    assert_eq!(
        ALLOCATIONS_IN_CALLBACK.load(Ordering::Relaxed),
        0,
        "allocations inside the player or recorder callback"
    );
}

/// Two renders through processes that take their jobs from these postmen: the second swaps jobs
/// inside the callbacks (the first ones go back out). `freewheel_by` switches freewheel.
fn render_twice(
    rec_postman: &mut Postman<RecorderJob>,
    play_postman: &mut Postman<PlayerJob>,
    freewheel_by: &Client,
    schedule: &rt_core::Schedule,
    total: u64,
) {
    for _ in 0..2 {
        let sync = Arc::new(StartSync::new());
        let (producer, mut consumer) = rtrb::RingBuffer::new(1 << 20);
        let rec_status = Arc::new(RecorderStatus::default());
        let play_status = Arc::new(PlayerStatus::default());
        rec_postman
            .send(RecorderJob::new(
                producer,
                total,
                sync.clone(),
                rec_status.clone(),
            ))
            .unwrap();
        play_postman
            .send(PlayerJob::new(
                schedule.clone(),
                sync.clone(),
                play_status.clone(),
            ))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(rec_postman.delivered() && play_postman.delivered()) {
            assert!(
                Instant::now() < deadline,
                "the callbacks never took their jobs"
            );
            std::thread::yield_now();
        }
        client::set_freewheel(freewheel_by, true);
        sync.arm();
        let mut drained = 0usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !rec_status.finished.load(Ordering::Acquire) || !consumer.is_empty() {
            assert!(Instant::now() < deadline, "the take never finished");
            let n = consumer.slots();
            if n > 0 {
                consumer.read_chunk(n).unwrap().commit_all();
                drained += n;
            }
            std::thread::yield_now();
        }
        client::set_freewheel(freewheel_by, false);
        assert_eq!(drained as u64, total * 2, "every frame recorded");
        assert_eq!(play_status.played.load(Ordering::Relaxed), schedule.len());
    }
}
