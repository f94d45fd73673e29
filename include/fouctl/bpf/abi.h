/* The layout of the maps shared by the BPF datapath (src/bpf/fou.bpf.c) and fouctl's
 * loader (src/bpf/): plain C, included by both. Addresses and ports are in network byte
 * order, as they sit in packets; everything else is host order.
 *
 * k_abi in fou_meta changes whenever a layout here changes: fouctl refuses to reuse maps
 * of another layout (take the namespace's bpf tunnels down, then up again). */
#ifndef FOUCTL_BPF_ABI_H
#define FOUCTL_BPF_ABI_H

#include <linux/types.h>

/* 2: IPv6 underlays (fouctl_tunnel.family 6), which programs of ABI 1 took for IPv4. */
#define FOUCTL_BPF_ABI 2
#define FOUCTL_BPF_MAX_TUNNELS 256   /* fou_tunnels and fou_stats entries */
#define FOUCTL_BPF_MAX_ROUTES 1024   /* entries of each LPM trie */
#define FOUCTL_BPF_MAX_ADDRS 8       /* host addresses per tunnel */
#define FOUCTL_BPF_ENCAP_FOU 0
#define FOUCTL_BPF_ENCAP_GUE 1

/* fou_meta[0]: whose maps these are. The loader writes it once; maps found through a pin
 * or through the programs that use them are used only when they name this network
 * namespace (its cookie, and the device and inode of /proc/self/ns/net) and this layout. */
struct fouctl_meta {
	__u64 netns_cookie; /* SO_NETNS_COOKIE (5.14+): never reused; 0 where unknown */
	__u64 netns_dev;
	__u64 netns_ino;
	__u32 abi;
	__u32 pad;
};

/* A host address of a tunnel, put on lo by fouctl (prefix length as given by the user). */
struct fouctl_addr {
	__u8 family;    /* 0 = unused slot, 4 or 6 */
	__u8 prefixlen;
	__u8 pad[2];
	__u8 addr[16];
};

/* fou_tunnels[id]. The datapath reads the first block; the rest is fouctl's own record of
 * the tunnel (status and down read it, the programs never do). */
struct fouctl_tunnel {
	__u8 in_use;
	__u8 encap;      /* FOUCTL_BPF_ENCAP_* */
	__u8 bind_peer;  /* accept only peer:tx_port; send from rx_port */
	__u8 family;     /* underlay: 4 or 6 (ABI 2 on) */
	__be16 rx_port;
	__be16 tx_port;
	__u8 local[16];  /* outer source, and the only destination accepted */
	__u8 peer[16];
	__u8 ttl;
	__u8 pad1[3];
	/* fouctl's record */
	__u32 ifindex;       /* the underlay device: the ingress filter and the routes' device */
	__u32 mtu;           /* the tunnel MTU (the routes' MTU less the encapsulation) */
	__u8 mtu_auto;       /* no MTU was given: it follows the underlay */
	__u8 clsact_ours;    /* fouctl made the clsact qdisc on `ifindex` */
	__u8 local_given;    /* --local was given (else `local` is the route's source) */
	__u8 pad2;
	char name[16];
	struct fouctl_addr addrs[FOUCTL_BPF_MAX_ADDRS];
};

/* fou_rx key: where tunnel datagrams arrive. */
struct fouctl_rx_key {
	__u8 local[16];
	__be16 port;
	__u8 family;
	__u8 pad;
};

/* fou_route4 and fou_route6 keys (LPM tries): inner destination prefix -> tunnel id. */
struct fouctl_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};
struct fouctl_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* fou_stats[id], one per CPU. Bytes are inner packet bytes, as a tunnel device counts. */
struct fouctl_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 malformed;      /* rx: dropped, not a FOU/GUE packet we can take apart */
	__u64 foreign_source; /* rx: to our port from anyone but the peer: passed on untouched */
	__u64 no_tunnel;      /* tx: routed into the program with no tunnel for it: dropped */
	__u64 too_big;        /* tx: would not fit in one outer datagram: dropped */
	__u64 encap_failed;   /* tx: the kernel refused the outer headers: dropped */
	__u64 redirect_failed;/* rx: IPv6 inside could not be handed back to the stack */
};

/* fou_stats[FOUCTL_BPF_STATS_NO_TUNNEL]: packets that matched no tunnel at all. */
#define FOUCTL_BPF_STATS_NO_TUNNEL (FOUCTL_BPF_MAX_TUNNELS - 1)

#endif
