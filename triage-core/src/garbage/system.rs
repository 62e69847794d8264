//! `/proc`, `/etc` and command-output parsers, and the network and counter probes.

use super::*;

// /proc, /etc and command output parsers

#[test]
fn procfs_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(
        &["healthy/proc/meminfo", "sosreport/proc/meminfo"],
        &["procfs/proc/meminfo", "insights-core/proc_meminfo.txt"],
    ));
    f.extend(run_text("memory::parse", &c, |t| eat(memory::parse(t))));
    let c = corpus(&samples(
        &[
            "kernel_tables/proc/net/netlink",
            "kernel_tables/proc/net/sockstat",
            "kernel_tables/proc/buddyinfo",
            "kernel_tables/sos_commands/process/lsof_M_-n_-l_-c",
        ],
        &["procfs/proc/net/sockstat", "insights-core/lsof.txt"],
    ));
    {
        use crate::collect::kernel_state as k;
        f.extend(run_text("kernel_state::parse_netlink", &c, |t| {
            eat(k::parse_netlink(t))
        }));
        f.extend(run_text("kernel_state::parse_sockstat", &c, |t| {
            eat(k::parse_sockstat(t))
        }));
        f.extend(run_text("kernel_state::parse_buddyinfo", &c, |t| {
            eat(k::parse_buddyinfo(t))
        }));
        f.extend(run_text("kernel_state::lsof_holders", &c, |t| {
            eat(k::lsof_holders(t, 33580))
        }));
    }
    let c = corpus(&samples(
        &["hotsos-vault/sos_commands/networking/netstat_-W_-neopa"],
        &[
            "insights-core/ss_-tulpn.txt",
            "insights-core/netstat_-neopa.txt",
        ],
    ));
    {
        use crate::collect::network::sos;
        f.extend(run_text("network::sos::parse_ss", &c, |t| {
            eat(sos::parse_ss(t))
        }));
        f.extend(run_text("network::sos::parse_netstat", &c, |t| {
            eat(sos::parse_netstat(t))
        }));
        f.extend(run_text("units::parse_list_units", &c, |t| {
            eat(crate::collect::units::parse_list_units(t))
        }));
    }
    let c = corpus(&samples(
        &["healthy/proc/loadavg"],
        &["procfs/proc/loadavg"],
    ));
    f.extend(run_text("load::parse", &c, |t| eat(load::parse(t))));
    let c = corpus(&samples(
        &["healthy/proc/pressure/cpu", "healthy/proc/pressure/io"],
        &["procfs/proc/pressure/memory"],
    ));
    f.extend(run_text("pressure::parse", &c, |t| eat(pressure::parse(t))));
    let c = corpus(&samples(
        &["healthy/proc/stat", "sosreport/proc/stat"],
        &["procfs/proc/stat", "insights-core/proc_stat.txt"],
    ));
    f.extend(run_text("cpu::parse_stat", &c, |t| eat(cpu::parse_stat(t))));
    let c = corpus(&samples(
        &["healthy/proc/812/stat", "healthy/proc/2/stat"],
        &["procfs/proc/27079/stat", "procfs/proc/26232/stat"],
    ));
    f.extend(run_text("proc_sample::parse_stat", &c, |t| {
        eat(proc_sample::parse_stat(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/812/status"],
        &["procfs/proc/26235/status"],
    ));
    f.extend(run_text("proc_sample::parse_status_uid", &c, |t| {
        eat(proc_sample::parse_status_uid(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/812/cmdline", "healthy/proc/1/cmdline"],
        &["procfs/proc/26232/cmdline", "procfs/proc/cmdline"],
    ));
    f.extend(run("processes::cmdline_from_bytes", &c, |b| {
        eat(crate::collect::cmdline::cmdline_from_bytes(b))
    }));
    let c = corpus(&samples(&["healthy/etc/os-release"], &[]));
    f.extend(run_text("host::parse_os_release", &c, |t| {
        eat(host::parse_os_release(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/uptime"],
        &["insights-core/uptime.txt"],
    ));
    f.extend(run_text("host::parse_uptime", &c, |t| {
        eat(host::parse_uptime(t))
    }));
    let c = corpus(&samples(&["healthy/etc/passwd", "network/etc/passwd"], &[]));
    f.extend(run_text("users::parse_passwd", &c, |t| {
        eat(users::parse_passwd(t))
    }));
    report(f);
}

#[test]
fn mounts_df_ps_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(
        &["healthy/proc/self/mountinfo"],
        &["gpud/mountinfo"],
    ));
    f.extend(run_text("filesystems::parse_mountinfo", &c, |t| {
        eat(filesystems::parse_mountinfo(t))
    }));
    let c = corpus(&samples(&["sosreport/proc/mounts"], &[]));
    f.extend(run_text("filesystems::parse_mounts", &c, |t| {
        eat(filesystems::parse_mounts(t))
    }));
    let c = corpus(&samples(
        &[
            "sosreport/sos_commands/filesys/df_-al_-x_autofs",
            "healthy/sos_commands/filesys/df_-ali_-x_autofs",
        ],
        &["insights-core/df_-al.txt", "insights-core/df_-li.txt"],
    ));
    f.extend(run_text("filesystems::parse_df", &c, |t| {
        eat(filesystems::parse_df(t))
    }));
    let c = corpus(&samples(
        &["sosreport/sos_commands/process/ps_auxwww"],
        &[
            "insights-core/ps_aux.txt",
            "insights-core/ps_auxww_late_header.txt",
            "insights-core/ps_auxwwwm.txt",
        ],
    ));
    f.extend(run_text("ps_output::parse_ps_aux", &c, |t| {
        eat(ps_output::parse_ps_aux(t))
    }));
    report(f);
}

#[test]
fn network_and_history_probes_never_panic() {
    let mut f = Vec::new();
    for (table, fixture, shared_rel) in [
        (Table::Tcp4, "network/proc/net/tcp", "procfs/proc/net/tcp"),
        (Table::Tcp6, "network/proc/net/tcp6", "procfs/proc/net/tcp6"),
        (
            Table::Udp4,
            "network/proc/net/udp",
            "procfs/proc/net/udp_broken",
        ),
        (Table::Udp6, "network/proc/net/udp6", "procfs/proc/net/udp6"),
    ] {
        let c = corpus(&samples(&[fixture], &[shared_rel]));
        f.extend(run_text(
            &format!("network::parse_proc_net_line({})", table.name()),
            &c,
            |t| {
                t.lines()
                    .skip(1)
                    .for_each(|l| eat(parse_proc_net_line(table, l)))
            },
        ));
    }
    let c = corpus(&samples(&[], &["procfs/proc/diskstats"]));
    f.extend(run_text("counters::parse_diskstats", &c, |t| {
        eat(counters::parse_diskstats(t, |_| true))
    }));
    let c = corpus(&samples(&[], &["procfs/proc/net/dev"]));
    f.extend(run_text("counters::parse_net_dev", &c, |t| {
        eat(counters::parse_net_dev(t))
    }));
    let mut s = samples(
        &[],
        &[
            "procfs/proc/net/sockstat",
            "insights-core/proc_net_sockstat.txt",
        ],
    );
    s.push(inline(
        "snmp",
        "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\nTcp: 1 200 120000 -1 100 50 2 3 10 1000 900 7 0 5 0\n",
    ));
    let c = corpus(&s);
    f.extend(run_text("counters::parse_tcp", &c, |t| {
        eat(counters::parse_tcp(t, t, t));
    }));
    report(f);
}
