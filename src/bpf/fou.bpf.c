// SPDX-License-Identifier: GPL-2.0
/* fouctl's BPF datapath: FOU (direct) and GUE encapsulation over an IPv4 or IPv6 underlay,
 * wire-compatible with the kernel's fou/fou6/ipip/sit/ip6tnl and with fouctl's userspace
 * relay, for kernels without those modules. Two programs serve every bpf tunnel of a network namespace; what
 * a tunnel is lives in maps (include/fouctl/bpf/abi.h) that fouctl fills:
 *
 *   fou_encap (lwt_xmit): runs for packets routed into a tunnel (`ip route ... encap bpf
 *     xmit`). The inner destination finds the tunnel (fou_route4/6, longest prefix); the
 *     program pushes outer IPv4/IPv6 + UDP (+ GUE) with bpf_lwt_push_encap(BPF_LWT_ENCAP_IP)
 *     and returns BPF_LWT_REROUTE, so the kernel routes the datagram to the peer like any
 *     other. TCP GSO super-packets stay whole (the kernel marks them SKB_GSO_UDP_TUNNEL).
 *   fou_decap (tc, clsact ingress of the underlay device): takes apart UDP datagrams to
 *     local:RX_PORT from the tunnel's peer (and its TX_PORT when bound), drops and counts
 *     the malformed ones, and lets everything else pass untouched.
 *
 * Compiled by CMake (clang -target bpf -O2 -g) and embedded into fouctl. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fouctl/bpf/abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fouctl_meta);
} fou_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FOUCTL_BPF_MAX_TUNNELS);
	__type(key, __u32);
	__type(value, struct fouctl_tunnel);
} fou_tunnels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FOUCTL_BPF_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* the kernel requires it for LPM tries */
	__type(key, struct fouctl_lpm4);
	__type(value, __u32);
} fou_route4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FOUCTL_BPF_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fouctl_lpm6);
	__type(value, __u32);
} fou_route6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FOUCTL_BPF_MAX_TUNNELS);
	__type(key, struct fouctl_rx_key);
	__type(value, __u32);
} fou_rx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FOUCTL_BPF_MAX_TUNNELS);
	__type(key, __u32);
	__type(value, struct fouctl_stats);
} fou_stats SEC(".maps");

/* The kernel's default ip_local_port_range, which udp_flow_src_port() spreads flows over
 * when a tunnel's encap-sport is auto. */
#define SPORT_MIN 32768
#define SPORT_MAX 61000

#define IP_DF 0x4000
#define IP_MF_OFFSET 0x3fff

static __always_inline struct fouctl_stats *stats_of(__u32 id)
{
	return bpf_map_lookup_elem(&fou_stats, &id);
}

#define COUNT(id, field)                                                                   \
	do {                                                                               \
		struct fouctl_stats *s_ = stats_of(id);                                    \
		if (s_)                                                                    \
			s_->field++;                                                       \
	} while (0)

struct outer4 {
	struct iphdr ip;
	struct udphdr udp;
	__u8 gue[4];
} __attribute__((packed));

struct outer6 {
	struct ipv6hdr ip;
	struct udphdr udp;
	__u8 gue[4];
} __attribute__((packed));

/* Ones' complement arithmetic for the UDP checksum over IPv6. Words are added as they sit
 * in memory (RFC 1071: the sum does not depend on byte order as long as it is consistent),
 * so numbers go in as network-order words. */
static __always_inline __u64 sum_words(const void *p, __u32 len)
{
	const __u16 *w = p;
	__u64 s = 0;

#pragma clang loop unroll(full)
	for (__u32 i = 0; i < len / 2; i++)
		s += w[i];
	return s;
}

static __always_inline __u16 fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

#define SUM_CHUNK 256

/* The sum of all `len` bytes of the inner packet, read in chunks (bpf_csum_diff takes at
 * most 512 bytes, a multiple of 4). Only packets of at most one MTU come here. */
static __always_inline int sum_all(struct __sk_buff *skb, __u32 len, __u64 *sum)
{
	__u8 buf[SUM_CHUNK] __attribute__((aligned(8)));
	__u32 off = 0;
	__s64 c;

	for (__u32 i = 0; i < 0x10000 / SUM_CHUNK; i++) {
		if (off + SUM_CHUNK > len)
			break;
		if (bpf_skb_load_bytes(skb, off, buf, SUM_CHUNK) < 0)
			return -1;
		c = bpf_csum_diff(0, 0, (__be32 *)buf, SUM_CHUNK, 0);
		if (c < 0)
			return -1;
		*sum += (__u32)c;
		off += SUM_CHUNK;
	}
	if (off >= len)
		return 0;
	/* 1 to SUM_CHUNK - 1 bytes are left. Written as (x & mask) + 1 so that the verifier of
	 * older kernels (6.1), which refuses a size it cannot prove non-zero ("invalid
	 * zero-sized read"), sees the bounds whatever order the compiler puts the test in. */
	__u32 n = ((len - off - 1) & (SUM_CHUNK - 1)) + 1;
	/* The tail, padded with zeros as the checksum's definition pads an odd length. */
	__builtin_memset(buf, 0, sizeof(buf));
	if (bpf_skb_load_bytes(skb, off, buf, n) < 0)
		return -1;
	/* The whole chunk: the zeros past the tail add nothing, and a constant size spares
	 * the verifier proving a computed one in bounds. */
	c = bpf_csum_diff(0, 0, (__be32 *)buf, SUM_CHUNK, 0);
	if (c < 0)
		return -1;
	*sum += (__u32)c;
	return 0;
}

/* The sum of the inner packet's bytes, for the outer UDP checksum. A TCP or UDP packet may
 * still be CHECKSUM_PARTIAL here (its checksum left to offload: the field holds only the
 * pseudo-header sum), and a program cannot tell. But once finished, such a checksum makes
 * the L4 bytes sum to the complement of the inner pseudo-header, whether it is finished
 * already or later: so the inner IP header plus that complement is the sum either way (the
 * kernel's local checksum offload, lco_csum() in include/linux/skbuff.h). Everything else
 * (ICMP, fragments, other protocols) never is CHECKSUM_PARTIAL and is summed in full. */
static __always_inline int inner_sum(struct __sk_buff *skb, __u32 len, const struct iphdr *ip,
				     const struct ipv6hdr *ip6, __u64 *sum)
{
	__u16 l4check = 0;

	if (ip) {
		if (ip->ihl == 5 && !(ip->frag_off & bpf_htons(IP_MF_OFFSET)) &&
		    bpf_ntohs(ip->tot_len) == len &&
		    (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) &&
		    bpf_skb_load_bytes(skb, sizeof(*ip) + (ip->protocol == IPPROTO_TCP ? 16 : 6),
				       &l4check, 2) == 0 &&
		    l4check != 0) {
			__u64 pseudo = sum_words(&ip->saddr, 8) + bpf_htons(ip->protocol) +
				       bpf_htons((__u16)(len - sizeof(*ip)));
			*sum += sum_words(ip, sizeof(*ip)) + (__u16)~fold(pseudo);
			return 0;
		}
	} else if (ip6) {
		if (bpf_ntohs(ip6->payload_len) + sizeof(*ip6) == len &&
		    (ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP) &&
		    bpf_skb_load_bytes(skb, sizeof(*ip6) + (ip6->nexthdr == IPPROTO_TCP ? 16 : 6),
				       &l4check, 2) == 0 &&
		    l4check != 0) {
			__u64 pseudo = sum_words(&ip6->saddr, 32) + ip6->payload_len +
				       bpf_htons(ip6->nexthdr);
			*sum += sum_words(ip6, sizeof(*ip6)) + (__u16)~fold(pseudo);
			return 0;
		}
	}
	return sum_all(skb, len, sum);
}

/* UDP (+ GUE) of the outer headers; udp_len counts the UDP header on. */
static __always_inline void fill_udp(struct __sk_buff *skb, const struct fouctl_tunnel *t,
				     struct udphdr *udp, __u8 *gue, __u32 udp_len)
{
	if (t->bind_peer) {
		udp->source = t->rx_port;
	} else {
		/* udp_flow_src_port(): a hash of the inner flow, so that ECMP and RSS on the
		 * way spread flows while each flow keeps one port. */
		__u32 hash = bpf_get_hash_recalc(skb);
		hash ^= hash << 16;
		udp->source = bpf_htons((__u16)((((__u64)hash * (SPORT_MAX - SPORT_MIN)) >> 32) +
						SPORT_MIN));
	}
	udp->dest = t->tx_port;
	udp->len = bpf_htons((__u16)udp_len);
	udp->check = 0;
	if (t->encap == FOUCTL_BPF_ENCAP_GUE) {
		/* GUE version 0, no options, flags 0: {0, inner protocol, 0, 0}. */
		gue[1] = skb->protocol == bpf_htons(ETH_P_IP) ? IPPROTO_IPIP : IPPROTO_IPV6;
	}
}

SEC("lwt_xmit")
int fou_encap(struct __sk_buff *skb)
{
	__u32 *idp = 0;
	__u8 tos = 0;
	struct iphdr ip;
	struct ipv6hdr ip6;
	int inner4 = 0;

	/* An lwt_xmit program sees the packet from its network header on. */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct fouctl_lpm4 key = { .prefixlen = 32 };

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
			goto no_tunnel;
		__builtin_memcpy(key.addr, &ip.daddr, 4);
		idp = bpf_map_lookup_elem(&fou_route4, &key);
		tos = ip.tos;
		inner4 = 1;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct fouctl_lpm6 key;

		/* Every byte assigned, no initializer: clang would copy that from a .rodata
		 * section, a map fouctl does not manage. */
		key.prefixlen = 128;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			goto no_tunnel;
		__builtin_memcpy(key.addr, &ip6.daddr, 16);
		idp = bpf_map_lookup_elem(&fou_route6, &key);
		tos = (__u8)((ip6.priority << 4) | (ip6.flow_lbl[0] >> 4));
	}
	if (!idp)
		goto no_tunnel;
	__u32 id = *idp;
	struct fouctl_tunnel *t = bpf_map_lookup_elem(&fou_tunnels, &id);
	if (!t || !t->in_use)
		goto no_tunnel;

	__u32 inner_len = skb->len;
	/* UDP and GUE: what follows the outer IP header before the inner packet. */
	__u32 udp_hdr_len = sizeof(struct udphdr) + (t->encap == FOUCTL_BPF_ENCAP_GUE ? 4 : 0);
	__u32 udp_len = udp_hdr_len + inner_len;
	__u32 segs = skb->gso_segs ? skb->gso_segs : 1;
	long rc;
	if (t->family == 6) {
		if (udp_len > 0xffff) {
			COUNT(id, too_big);
			return BPF_DROP;
		}
		struct outer6 h __attribute__((aligned(8))) = {};
		/* As ip6tnl sends: traffic class from the inner ECN bits only, flow label 0,
		 * hop limit the tunnel's, no encapsulation limit option. */
		h.ip.version = 6;
		h.ip.flow_lbl[0] = (__u8)((tos & 3) << 4);
		h.ip.payload_len = bpf_htons((__u16)udp_len);
		h.ip.nexthdr = IPPROTO_UDP;
		h.ip.hop_limit = t->ttl;
		__builtin_memcpy(&h.ip.saddr, t->local, 16);
		__builtin_memcpy(&h.ip.daddr, t->peer, 16);
		fill_udp(skb, t, &h.udp, h.gue, udp_len);
		/* A UDP checksum, as fou6 sends by default (iproute2 sets encap-udp6-csum on
		 * ip6tnl; zero checksums over IPv6 only pass receivers that opt in, RFC 6935).
		 * For a super-packet the field holds the pseudo-header sum: bpf_lwt_push_encap
		 * then marks it SKB_GSO_UDP_TUNNEL_CSUM and segmentation finishes each segment's
		 * checksum (udp6_set_csum() does the same). Otherwise it is computed here. */
		__u64 pseudo = sum_words(t->local, 32) + bpf_htons((__u16)udp_len) +
			       bpf_htons(IPPROTO_UDP);
		if (skb->gso_size) {
			h.udp.check = fold(pseudo);
		} else {
			__u64 sum = pseudo + sum_words(&h.udp, sizeof(h.udp) + sizeof(h.gue));
			if (inner_sum(skb, inner_len, inner4 ? &ip : 0, inner4 ? 0 : &ip6, &sum) < 0) {
				COUNT(id, encap_failed);
				return BPF_DROP;
			}
			h.udp.check = (__u16)~fold(sum);
			if (!h.udp.check)
				h.udp.check = 0xffff; /* 0 means "no checksum" */
		}
		rc = bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &h, sizeof(h.ip) + udp_hdr_len);
	} else {
		if (udp_len + sizeof(struct iphdr) > 0xffff) {
			COUNT(id, too_big);
			return BPF_DROP;
		}
		struct outer4 h __attribute__((aligned(8))) = {};
		h.ip.version = 4;
		h.ip.ihl = 5;
		/* The kernel's ipip (tos inherit off) copies only the inner ECN bits. */
		h.ip.tos = tos & 3;
		h.ip.tot_len = bpf_htons((__u16)(udp_len + sizeof(h.ip)));
		/* DF, as an ipip device with pmtudisc (the default) sets it: the outer datagram
		 * must never be fragmented, since the receiving filter sees datagrams before
		 * reassembly. The routes' locked MTU keeps inner packets small enough. ID 0 is
		 * fine with DF. */
		h.ip.frag_off = bpf_htons(IP_DF);
		h.ip.ttl = t->ttl;
		h.ip.protocol = IPPROTO_UDP;
		__builtin_memcpy(&h.ip.saddr, t->local, 4);
		__builtin_memcpy(&h.ip.daddr, t->peer, 4);
		/* h.ip.check stays 0: bpf_lwt_push_encap computes it. The UDP checksum stays 0:
		 * what kernel FOU sends over IPv4 unless `encap-csum` is set. */
		fill_udp(skb, t, &h.udp, h.gue, udp_len);
		rc = bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &h, sizeof(h.ip) + udp_hdr_len);
	}
	if (rc < 0) {
		COUNT(id, encap_failed);
		return BPF_DROP;
	}
	struct fouctl_stats *s = stats_of(id);
	if (s) {
		s->tx_packets += segs;
		s->tx_bytes += inner_len;
	}
	return BPF_LWT_REROUTE;

no_tunnel:
	/* fou_meta is looked up here only so that it is among this program's maps: fouctl
	 * finds a namespace's maps through its programs (src/bpf/objects.cpp). */
	if (!bpf_map_lookup_elem(&fou_meta, &(__u32){0}))
		return BPF_DROP;
	COUNT(FOUCTL_BPF_STATS_NO_TUNNEL, no_tunnel);
	return BPF_DROP;
}

/* What follows the UDP header: how many bytes to strip besides the outer IP and UDP
 * headers (the GUE header), and the inner IP version; -1 for a datagram to drop. */
static __always_inline int inner_of(struct __sk_buff *skb, __u32 off, __u8 encap,
				    __u32 *extra, __u8 *version)
{
	__u8 b[4];

	if (bpf_skb_load_bytes(skb, off, b, sizeof(b)) < 0)
		return -1;
	*extra = 0;
	if (encap == FOUCTL_BPF_ENCAP_GUE) {
		switch (b[0] >> 6) {
		case 0:
			/* Version 0: no options (hlen 0), not a control message, a protocol
			 * we carry. The kernel drops what it cannot parse too. */
			if ((b[0] & 0x3f) != 0 || b[2] != 0 || b[3] != 0)
				return -1;
			if (b[1] == IPPROTO_IPIP)
				*version = 4;
			else if (b[1] == IPPROTO_IPV6)
				*version = 6;
			else
				return -1;
			*extra = 4;
			return 0;
		case 1:
			/* Version 1: the bare IP packet; its version nibble is 4 or 6. */
			break;
		default:
			return -1;
		}
	}
	/* FOU direct: the packet itself. The kernel's port says ipip or sit; one bpf
	 * tunnel, like the relay, carries both and reads the version. */
	*version = b[0] >> 4;
	return *version == 4 || *version == 6 ? 0 : -1;
}

/* Whether the inner packet at `off`, of `len` bytes, is a whole IPv4 or IPv6 packet. */
static __always_inline int inner_ok(struct __sk_buff *skb, __u32 off, __u32 len, __u8 version)
{
	if (version == 4) {
		struct iphdr ip;

		if (len < sizeof(ip) || bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
			return 0;
		return ip.ihl >= 5 && bpf_ntohs(ip.tot_len) == len;
	}
	struct ipv6hdr ip6;

	if (len < sizeof(ip6) || bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0)
		return 0;
	return bpf_ntohs(ip6.payload_len) + sizeof(ip6) == len;
}

SEC("tc")
int fou_decap(struct __sk_buff *skb)
{
	/* fouctl attaches this only to Ethernet-framed devices (veth, NICs, lo): the network
	 * header follows a 14-byte MAC header. */
	const __u32 l3 = ETH_HLEN;
	struct udphdr udp;
	struct fouctl_rx_key key = {};
	__u32 saddr[4] = {}, peer[4];
	__u32 ihl, tot;
	__u8 outer_version;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0)
			return TC_ACT_OK;
		/* Fragments are left to the stack: only whole datagrams are ours. */
		if (ip.protocol != IPPROTO_UDP || ip.version != 4 || ip.ihl < 5 ||
		    (ip.frag_off & bpf_htons(IP_MF_OFFSET)))
			return TC_ACT_OK;
		ihl = ip.ihl * 4;
		tot = bpf_ntohs(ip.tot_len);
		key.family = 4;
		__builtin_memcpy(key.local, &ip.daddr, 4);
		__builtin_memcpy(saddr, &ip.saddr, 4);
		outer_version = 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)) < 0)
			return TC_ACT_OK;
		/* UDP right after the IPv6 header, as fou6 sends it. Extension headers
		 * (fragments among them) and jumbograms are left to the stack. */
		if (ip6.nexthdr != IPPROTO_UDP || ip6.version != 6 || ip6.payload_len == 0)
			return TC_ACT_OK;
		ihl = sizeof(ip6);
		tot = sizeof(ip6) + bpf_ntohs(ip6.payload_len);
		key.family = 6;
		__builtin_memcpy(key.local, &ip6.daddr, 16);
		__builtin_memcpy(saddr, &ip6.saddr, 16);
		outer_version = 6;
	} else {
		return TC_ACT_OK;
	}
	if (bpf_skb_load_bytes(skb, l3 + ihl, &udp, sizeof(udp)) < 0)
		return TC_ACT_OK;

	key.port = udp.dest;
	__u32 *idp = bpf_map_lookup_elem(&fou_rx, &key);
	if (!idp)
		return TC_ACT_OK;
	__u32 id = *idp;
	struct fouctl_tunnel *t = bpf_map_lookup_elem(&fou_tunnels, &id);
	if (!t || !t->in_use)
		return TC_ACT_OK;
	/* saddr is zero past an IPv4 address, as is the tunnel's peer. (Compared word by word:
	 * clang leaves a 16-byte __builtin_memcmp to a memcmp() that BPF does not have.) */
	__builtin_memcpy(peer, t->peer, sizeof(peer));
	if (((saddr[0] ^ peer[0]) | (saddr[1] ^ peer[1]) | (saddr[2] ^ peer[2]) |
	     (saddr[3] ^ peer[3])) != 0 ||
	    (t->bind_peer && udp.source != t->tx_port)) {
		/* Not the peer: as if there were no tunnel (the stack answers or drops). */
		COUNT(id, foreign_source);
		return TC_ACT_OK;
	}

	/* The UDP checksum is not verified (over IPv6 it is set): the inner packet's own
	 * checksums guard what matters, and a kernel FOU receiver on a CHECKSUM_PARTIAL path
	 * does not verify it either. */
	__u32 ulen = bpf_ntohs(udp.len);
	__u32 extra = 0;
	__u8 version = 0;
	if (tot < ihl + sizeof(udp) || ulen != tot - ihl || skb->len < l3 + tot ||
	    inner_of(skb, l3 + ihl + sizeof(udp), t->encap, &extra, &version) < 0)
		goto malformed;
	__u32 strip = ihl + sizeof(udp) + extra;
	if (!inner_ok(skb, l3 + strip, tot - strip, version))
		goto malformed;

	/* Read before adjust_room, which zeroes gso_segs of a super-packet. */
	__u32 segs = skb->gso_segs ? skb->gso_segs : 1;
	/* Remove outer IP, UDP and GUE between the MAC header and the inner packet. FIXED_GSO:
	 * a super-packet's gso_size is the inner segment size and stays so. */
	if (bpf_skb_adjust_room(skb, -(__s32)strip, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO) < 0)
		goto malformed;
	struct fouctl_stats *s = stats_of(id);
	if (s) {
		s->rx_packets += segs;
		s->rx_bytes += tot - strip;
	}
	if (version == outer_version)
		return TC_ACT_OK;

	/* The other family inside: skb->protocol still says the outer one, and kernels before
	 * 6.3 have no BPF_F_ADJ_ROOM_DECAP_L3_IPV4/6 to change it. Rewrite the Ethernet type
	 * and hand the packet to this device's ingress again: eth_type_trans() then sets the
	 * protocol, and this program, seeing no datagram of a tunnel, lets it pass. */
	__be16 proto = bpf_htons(version == 6 ? ETH_P_IPV6 : ETH_P_IP);
	if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0) < 0) {
		COUNT(id, redirect_failed);
		return TC_ACT_SHOT;
	}
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);

malformed:
	/* Among this program's maps for fouctl's sake, like in fou_encap. */
	if (!bpf_map_lookup_elem(&fou_meta, &(__u32){0}))
		return TC_ACT_SHOT;
	COUNT(id, malformed);
	return TC_ACT_SHOT;
}
