//! Parser tests on real captures: hotsos's kernel scenarios
//! (`hotsos/defs/tests/scenarios/kernel/network/*.yaml`, Apache-2.0, commit 57b256c4)
//! and the buddyinfo of its openstack sosreport.

use super::*;

const NETLINK: &str =
    "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
0000000000000000 0   23984      00000113 0        0        0     2        0        129906  
0000000000000000 0   186014     00000113 0        0        0     2        1        33580   
0000000000000000 0   2199       000405d1 0        0        0     2        1        34703   
";

#[test]
fn netlink_rows_with_drops_and_inodes() {
    let socks = parse_netlink(NETLINK);
    assert_eq!(socks.len(), 3);
    assert_eq!(socks[1].drops, 1);
    assert_eq!(socks[1].inode, 33580);
    assert_eq!(socks[1].port_id, 186014);
    assert!(parse_netlink("garbage\n1 2 3").is_empty());
}

#[test]
fn lsof_rows_name_the_holders_of_an_inode() {
    let lsof = "zabbix_ag 17712      111  mem       REG                9,1       219240      33580 /usr/lib/x86_64-linux-gnu/libnettle.so.6.3
ovs-vswit 13936        0  616uR     REG               0,43      2097152      34703 /mnt/huge_ovs_2M/rtemap_586
qemu-syst 20986        0   44u  a_inode               0,13            0      34703 [eventfd]
systemd       1        0   14u  netlink                          0t0      13965 KOBJECT_UEVENT
";
    assert_eq!(
        lsof_holders(lsof, 33580),
        [("zabbix_ag".to_string(), 17712)]
    );
    assert_eq!(
        lsof_holders(lsof, 34703),
        [
            ("ovs-vswit".to_string(), 13936),
            ("qemu-syst".to_string(), 20986)
        ]
    );
    assert_eq!(lsof_holders(lsof, 13965), [("systemd".to_string(), 1)]);
    assert!(lsof_holders(lsof, 1).is_empty());
}

#[test]
fn sockstat_mem_pages() {
    let s = "sockets: used 908\nTCP: inuse 22 orphan 0 tw 2 alloc 58 mem 379728\nUDP: inuse 18 mem 762456\nUDPLITE: inuse 44\nRAW: inuse 55\nFRAG: inuse 66 memory 77\n";
    assert_eq!(
        parse_sockstat(s),
        [("tcp".to_string(), 379728), ("udp".to_string(), 762456)]
    );
}

#[test]
fn buddyinfo_orders() {
    let b = parse_buddyinfo("Node 0, zone      DMA      0      1      1      0      2      1      1      0      1      1      3 \nNode 0, zone   Normal    145    101    316   1135    222     35     14      4      2      0      0 \n");
    assert_eq!(b.len(), 2);
    assert_eq!(b[1].zone, "Normal");
    assert_eq!(b[1].free.len(), 11);
    assert_eq!(b[1].free[3], 1135);
}
