//! Multi-line reports and the one-line events added with them, from real captures: the
//! kernel-log scenarios of canonical/hotsos (`hotsos/defs/tests/scenarios/kernel/*.yaml`,
//! `storage/nfs/*.yaml`, Apache-2.0, commit 57b256c4), lines copied unchanged.

use crate::logs::classify::tests::entries;
use crate::snapshot::{Finding, Severity};

fn findings(text: &str) -> Vec<Finding> {
    crate::findings::catalogue::event_findings(&super::super::events(&entries(text)))
}

fn one(text: &str) -> Finding {
    let f = findings(text);
    assert_eq!(f.len(), 1, "{text}\n{f:#?}");
    f.into_iter().next().unwrap()
}

/// hotsos kernlog_calltrace_any.yaml: a trace printed by `dump_stack()` from a module's
/// init, with no header: named by the first frame after the printing machinery.
#[test]
fn bare_call_trace_names_its_function_and_process() {
    let f = one("Feb 04 10:49:21 tututu kernel: [ 4965.415911] CPU: 1 PID: 4465 Comm: insmod Tainted: P           OE   4.13.0-rc5 #1
Feb 04 10:49:21 tututu kernel: [ 4965.415912] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.10.2-1.fc26 04/01/2014
Feb 04 10:49:21 tututu kernel: [ 4965.415913] Call Trace:
Feb 04 10:49:21 tututu kernel: [ 4965.415920]  dump_stack+0x63/0x8b
Feb 04 10:49:21 tututu kernel: [ 4965.415923]  do_init_module+0x8d/0x1e9
Feb 04 10:49:21 tututu kernel: [ 4965.415926]  load_module+0x21bd/0x2b10
Feb 04 10:49:21 tututu kernel: [ 4965.415929]  SYSC_finit_module+0xfc/0x120
Feb 04 10:49:21 tututu kernel: [ 4965.415931]  ? SYSC_finit_module+0xfc/0x120
Feb 04 10:49:21 tututu kernel: [ 4965.415934]  SyS_finit_module+0xe/0x10
Feb 04 10:49:21 tututu kernel: [ 4965.415937]  entry_SYSCALL_64_fastpath+0x1a/0xa5
Feb 04 10:49:21 tututu kernel: [ 4965.415939] RIP: 0033:0x7fab36d717a9");
    assert_eq!(f.id, "kernel_call_trace");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.title,
        "kernel call trace in do_init_module (insmod, pid 4465)"
    );
    assert_eq!(
        f.vars.get("function").map(String::as_str),
        Some("do_init_module")
    );
}

fn hung(text: &str) -> Finding {
    let f = one(text);
    assert_eq!(f.id, "hung_task", "{f:#?}");
    f
}

/// hotsos kernlog_calltrace_fanotify.yaml (4.4 format: addresses before the frames).
#[test]
fn hung_task_waiting_in_fanotify() {
    let f = hung("Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.259590] INFO: task controller:1428 blocked for more than 120 seconds.
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.260681]       Not tainted 4.4.0-142-generic #168-Ubuntu
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261199] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261737] controller      D ffff8800b8593af8     0  1428   1333 0x10000000
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261741]  ffff8800b8593af8 ffff8800348e5d10 ffff88023627d500 ffff8800ba573fc0
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261746] Call Trace:
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261752]  [<ffffffff8185cb45>] schedule+0x35/0x80
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261755]  [<ffffffff8126321e>] fanotify_handle_event+0x18e/0x2d0
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261757]  [<ffffffff8125f795>] ? fsnotify+0x5/0x4b0
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261761]  [<ffffffff8125fa77>] fsnotify+0x2e7/0x4b0
Feb  4 15:40:27 DELRHIUCBM002V kernel: [ 1920.261764]  [<ffffffff81358a71>] security_file_open+0x91/0xa0");
    assert_eq!(
        f.title,
        "hung task controller (pid 1428, blocked for more than 120 s, waiting in fanotify: fanotify_handle_event)"
    );
}

/// hotsos kernlog_calltrace_bcache_deadlock.yaml (4.15): the module tag names bcache.
#[test]
fn hung_task_waiting_in_bcache() {
    let f = hung("Feb 04 06:51:39 bronzor kernel: [  725.795102] INFO: task bcache-register:2330 blocked for more than 120 seconds.
Feb 04 06:51:39 bronzor kernel: [  726.146000]       Not tainted 4.15.0-176-generic #185
Feb 04 06:51:39 bronzor kernel: [  726.771988] bcache-register D    0  2330   2328 0x00000320
Feb 04 06:51:39 bronzor kernel: [  726.771991] Call Trace:
Feb 04 06:51:39 bronzor kernel: [  726.771997]  __schedule+0x24e/0x890
Feb 04 06:51:39 bronzor kernel: [  726.771999]  schedule+0x2c/0x80
Feb 04 06:51:39 bronzor kernel: [  726.772024]  closure_sync+0x18/0x90 [bcache]
Feb 04 06:51:39 bronzor kernel: [  726.772031]  bch_journal+0x123/0x380 [bcache]
Feb 04 06:51:39 bronzor kernel: [  726.772036]  ? __switch_to_asm+0x35/0x70
Feb 04 06:51:40 bronzor kernel: [  726.772275] RIP: 0033:0x7efdb30af104
Feb 04 06:51:40 bronzor kernel: [  726.772276] RSP: 002b:00007fff9649a2b8 EFLAGS: 00000246 ORIG_RAX: 0000000000000001");
    assert!(
        f.title.ends_with("waiting in bcache: closure_sync)"),
        "{}",
        f.title
    );
}

/// hotsos kernlog_calltrace_hungtasks.yaml (5.15, `<TASK>` markers, no uptime stamps):
/// a `df` stuck on a FUSE mount, after an over-MTU drop on another interface.
#[test]
fn hung_task_waiting_in_fuse_and_over_mtu_drop() {
    let f = findings("Feb 04 00:07:12 ic-hrvart4-s4anq599 kernel: o-hm0: dropped over-mtu packet: 2829 > 1500
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel: INFO: task df:1177107 blocked for more than 120 seconds.
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:       Tainted: P           O      5.15.0-53-generic #59~20.04.1-Ubuntu
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel: \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel: task:df              state:D stack:    0 pid:1177107 ppid:  6953 flags:0x00004224
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel: Call Trace:
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  <TASK>
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  __schedule+0x2cd/0x890
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  schedule+0x69/0x110
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  request_wait_answer+0x136/0x210
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  ? wait_woken+0x60/0x60
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  fuse_simple_request+0x1ac/0x2f0
Feb 04 00:07:13 ic-hrvart4-s4anq599 kernel:  fuse_do_getattr+0xd7/0x340
Feb 04 00:07:14 ic-hrvart4-s4anq599 kernel:  entry_SYSCALL_64_after_hwframe+0x61/0xcb
Feb 04 00:07:14 ic-hrvart4-s4anq599 kernel: RIP: 0033:0x7f7004c274ba");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].id, "over_mtu_drop");
    assert_eq!(
        f[0].title,
        "packets larger than the MTU dropped on o-hm0 (2829 bytes > MTU 1500)"
    );
    assert_eq!(
        f[0].vars.get("interface").map(String::as_str),
        Some("o-hm0")
    );
    assert_eq!(f[1].id, "hung_task");
    assert!(
        f[1].title
            .ends_with("waiting in fuse: fuse_simple_request)"),
        "{}",
        f[1].title
    );
}

/// A jbd2 thread waiting for its commit (fs/jbd2): the function names the subsystem.
#[test]
fn hung_task_waiting_in_jbd2_and_nfs() {
    let f = hung(
        "[ 1.0] INFO: task jbd2/dm-0-8:411 blocked for more than 120 seconds.
[ 1.1] Call Trace:
[ 1.2]  __schedule+0x2e3/0x740
[ 1.3]  schedule+0x42/0xb0
[ 1.4]  jbd2_journal_commit_transaction+0x23f/0x1870
[ 1.5]  kjournald2+0xbd/0x270",
    );
    assert!(
        f.title
            .contains("waiting in jbd2: jbd2_journal_commit_transaction"),
        "{}",
        f.title
    );
    let f = hung(
        "[ 1.0] INFO: task cp:5102 blocked for more than 120 seconds.
[ 1.1] Call Trace:
[ 1.2]  __schedule+0x2e3/0x740
[ 1.3]  schedule+0x42/0xb0
[ 1.4]  rpc_wait_bit_killable+0x24/0xb0 [sunrpc]
[ 1.5]  __wait_on_bit+0x7a/0x90",
    );
    assert!(
        f.title.contains("waiting in nfs: rpc_wait_bit_killable"),
        "{}",
        f.title
    );
}

/// hotsos kernlog_calltrace_oom_killer.yaml: SysRq-f (`order=-1`, moom_callback) kills
/// gnome-shell; said, and a warning, not a memory shortage.
#[test]
fn oom_kill_requested_with_sysrq_is_said() {
    let f = one("[27742.909073] kworker/0:0 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=-1, oom_score_adj=0
[27742.909076] CPU: 0 PID: 17681 Comm: kworker/0:0 Not tainted 5.4.0-120-generic #136-Ubuntu
[27742.909077] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.15.0-1 04/01/2014
[27742.909094] Workqueue: events moom_callback
[27742.909097] Call Trace:
[27742.909114]  dump_stack+0x6d/0x8b
[27742.909120]  dump_header+0x4f/0x1eb
[27742.909121]  oom_kill_process.cold+0xb/0x10
[27742.909129]  out_of_memory+0x1cf/0x4d0
[27742.909130]  moom_callback+0x7d/0xb0
[27742.909142]  ret_from_fork+0x35/0x40
[27742.909142] Mem-Info:
[27742.909188] Tasks state (memory values in pages):
[27742.909188] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
[27742.909192] [    341]     0   341    17174     6831   135168        0          -250 systemd-journal
[27742.909336] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice/user-121.slice/session-c1.scope,task=gnome-shell,pid=955,uid=121
[27742.909353] Out of memory: Killed process 955 (gnome-shell) total-vm:3289540kB, anon-rss:77868kB, file-rss:107372kB, shmem-rss:12kB, UID:121 pgtables:788kB oom_score_adj:0");
    assert_eq!(f.id, "oom_kill");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.title.starts_with("OOM killer killed gnome-shell on request (SysRq-f), not from a memory shortage (pid 955"),
        "{}",
        f.title
    );
    // The same kill from a real shortage stays critical and says nothing of SysRq.
    let f = one("[1.0] java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0
[1.1] Out of memory: Killed process 955 (java) total-vm:3289540kB");
    assert_eq!(f.severity, Severity::Critical);
    assert!(!f.title.contains("SysRq"), "{}", f.title);
}

/// A v4 memory-cgroup OOM names its cgroup in a line before the victim.
#[test]
fn oom_kill_in_a_v1_memory_cgroup_names_it() {
    let f = one(
        "[ 5.0] stress invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0
[ 5.1] Task in /docker/4f2a killed as a result of limit of /docker/4f2a
[ 5.2] Memory cgroup out of memory: Kill process 3011 (stress) score 1000 or sacrifice child
[ 5.3] Killed process 3011 (stress) total-vm:266604kB, anon-rss:262244kB, file-rss:0kB",
    );
    assert!(
        f.title.contains("memory cgroup /docker/4f2a at its limit"),
        "{}",
        f.title
    );
}

/// `WARNING:` names its function and source line; `BUG:` the function in `RIP:`.
#[test]
fn kernel_warning_and_bug_are_named() {
    let f = one(
        "[ 7.0] WARNING: CPU: 3 PID: 0 at net/sched/sch_generic.c:447 dev_watchdog+0x24f/0x260
[ 7.1] Modules linked in: nf_tables
[ 7.2] CPU: 3 PID: 0 Comm: swapper/3 Not tainted 5.15.0-91-generic #101-Ubuntu
[ 7.3] RIP: 0010:dev_watchdog+0x24f/0x260
[ 7.4] Call Trace:
[ 7.5]  <IRQ>
[ 7.6]  ? __warn+0x81/0x100
[ 7.7]  call_timer_fn+0x2c/0x130",
    );
    assert_eq!(f.id, "kernel_warning");
    assert_eq!(
        f.title,
        "kernel WARNING in dev_watchdog (at net/sched/sch_generic.c:447)"
    );
    let f = one(
        "[ 9.0] BUG: kernel NULL pointer dereference, address: 0000000000000008
[ 9.1] #PF: supervisor read access in kernel mode
[ 9.2] Oops: 0000 [#1] SMP PTI
[ 9.3] CPU: 1 PID: 734 Comm: kworker/1:2 Not tainted 5.4.0-97-generic #110-Ubuntu
[ 9.4] RIP: 0010:mlx5e_xmit+0x3c/0x6a0 [mlx5_core]
[ 9.5] Call Trace:
[ 9.6]  dev_hard_start_xmit+0x8d/0x1e0",
    );
    assert_eq!(f.id, "kernel_bug");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(
        f.title,
        "kernel BUG in mlx5e_xmit: kernel NULL pointer dereference"
    );
}

/// hotsos qla2xxx.yaml: the FC HBA driver left its ports unscanned.
#[test]
fn qla2xxx_skipped_scan_names_the_port() {
    let f = findings("Aug 25 15:01:20 tatoonie kernel: qla2xxx [0000:04:00.0]-0122:1: skipping scsi_scan_host() for non-initiator port
Aug 25 15:01:22 tatoonie kernel: qla2xxx [0000:04:00.1]-0122:10: skipping scsi_scan_host() for non-initiator port");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].id, "scsi_host_problem");
    assert!(
        f[0].title
            .starts_with("qla2xxx [0000:04:00.0]-0122:1 did not perform SCSI scan"),
        "{}",
        f[0].title
    );
}

/// hotsos storage/nfs/nfs-name-or-service-not-known.yaml.
#[test]
fn nfs_server_name_resolution_failure() {
    let f = findings("Aug 23 07:27:31 juju-0c7157-trilio-test-16 mount[809]: mount.nfs: Failed to resolve server my.great.nfsserver.org: Name or service not known
Oct  9 11:28:22 mail mount[714]: mount.nfs4: Failed to resolve server my.another.great.nfs.org: Temporary failure in name resolution");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].id, "nfs_server_unresolved");
    assert_eq!(
        f[0].title,
        "NFS server my.great.nfsserver.org could not be resolved: mount failed (mount.nfs: Name or service not known)"
    );
    assert_eq!(
        f[1].vars.get("server").map(String::as_str),
        Some("my.another.great.nfs.org")
    );
}

/// hotsos disk_failure.yaml / disk_failure_3.yaml: a medium error is critical; errors on
/// a loop device (a file on another filesystem) are a warning.
#[test]
fn medium_error_is_critical_and_loop_device_a_warning() {
    let f = one("Jun 11 06:51:39 bronzor kernel: [  725.995102] blk_update_request: critical medium error, dev sdk, sector 130611915 op 0x1:(WRITE) flags 0x0 phys_seg 13 prio class 0");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.title, "I/O errors on sdk (critical medium error)");
    let f = one("<3>2024-04-17T00:26:33.540832+05:30 host-name kernel: [   29.782109] print_req_error: critical medium error, dev sdb, sector 8724376");
    assert_eq!(f.severity, Severity::Critical);
    let f = one("[ 3.0] blk_update_request: I/O error, dev loop5, sector 2048 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.title.contains("loop5 (a loop device"), "{}", f.title);
}

/// Hung-task and OOM traces belong to their report: no extra call-trace finding.
#[test]
fn claimed_traces_make_no_second_finding() {
    let f = findings(
        "[ 1.0] INFO: task jbd2/dm-0-8:411 blocked for more than 120 seconds.
[ 1.1] Call Trace:
[ 1.2]  __schedule+0x2e3/0x740
[ 1.4]  jbd2_journal_commit_transaction+0x23f/0x1870
[ 2.0] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:456]
[ 2.1] Call Trace:
[ 2.2]  smp_call_function_many+0x1f/0x250",
    );
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["hung_task", "soft_lockup"], "{f:#?}");
}
