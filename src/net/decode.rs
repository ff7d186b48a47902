//! Link, IP and transport header decoding, without copying.
//!
//! etherparse does the IP/TCP/UDP work (in its "lax" mode, so a frame cut by
//! the snaplen still yields its headers and the bytes that were kept). The
//! link headers etherparse does not cover — Linux cooked SLL2 and the BSD
//! NULL/LOOP family word — are a few fixed fields and are read here.

use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::capture::{LinkType, Packet};

/// TCP header flags we act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// A decoded TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    /// The payload bytes the capture kept.
    pub payload: &'a [u8],
    /// The payload length on the wire (larger than `payload.len()` when the
    /// snaplen cut the frame).
    pub wire_len: u32,
}

/// The transport part of a decoded packet.
#[derive(Debug, Clone, Copy)]
pub enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    /// Another IP protocol (ICMP, SCTP, ...), by number.
    Other(u8),
}

/// A packet decoded down to its transport header.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<'a>,
}

/// Why a packet could not be decoded down to TCP/UDP. Counted, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Undecodable {
    UnsupportedLinkType,
    TruncatedLinkHeader,
    NotIp,
    BadIpHeader,
    IpFragment,
    TruncatedTransportHeader,
}

impl Undecodable {
    pub const ALL: [Undecodable; 6] = [
        Undecodable::UnsupportedLinkType,
        Undecodable::TruncatedLinkHeader,
        Undecodable::NotIp,
        Undecodable::BadIpHeader,
        Undecodable::IpFragment,
        Undecodable::TruncatedTransportHeader,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Undecodable::UnsupportedLinkType => "unsupported_link_type",
            Undecodable::TruncatedLinkHeader => "truncated_link_header",
            Undecodable::NotIp => "not_ip",
            Undecodable::BadIpHeader => "bad_ip_header",
            Undecodable::IpFragment => "ip_fragment",
            Undecodable::TruncatedTransportHeader => "truncated_transport_header",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// BSD/Linux address-family values seen in NULL/LOOP link headers.
fn family_to_ethertype(family: u32) -> Option<EtherType> {
    match family {
        2 => Some(EtherType::IPV4),
        // AF_INET6: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
        10 | 24 | 28 | 30 => Some(EtherType::IPV6),
        _ => None,
    }
}

/// Decodes a captured frame down to its transport header.
pub fn decode<'a>(packet: &Packet<'a>) -> Result<Decoded<'a>, Undecodable> {
    if let Some((ether, at)) = link_payload(packet.linktype, packet.data) {
        if let Some(d) = fast_tcp(packet, ether, &packet.data[at..]) {
            return Ok(d);
        }
    }
    decode_lax(packet)
}

/// The ethertype and offset of the network header, for the link types whose
/// header is a few fixed fields. `None` sends the frame to the general path.
fn link_payload(linktype: LinkType, data: &[u8]) -> Option<(u16, usize)> {
    let be16 = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
    };
    match linktype.normalized() {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut ether = be16(at)?;
            // up to two VLAN tags
            for _ in 0..2 {
                if ether == 0x8100 || ether == 0x88a8 {
                    at += 4;
                    ether = be16(at)?;
                }
            }
            Some((ether, at + 2))
        }
        LinkType::LINUX_SLL => Some((be16(14)?, 16)),
        LinkType::LINUX_SLL2 => {
            (data.len() >= 20).then_some(())?;
            Some((be16(0)?, 20))
        }
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => match data.first()? >> 4 {
            4 => Some((0x0800, 0)),
            6 => Some((0x86DD, 0)),
            _ => None,
        },
        _ => None,
    }
}

/// The common case — IPv4, or IPv6 without extension headers, carrying TCP —
/// read with etherparse's header slices, which is several times cheaper
/// than the general sliced-packet cursor. `None` means "take the general
/// path" (which also names the reason when a frame is undecodable).
fn fast_tcp<'a>(packet: &Packet<'a>, ether: u16, ip: &'a [u8]) -> Option<Decoded<'a>> {
    let (src, dst, l4, declared_end) = match ether {
        0x0800 => {
            let h = etherparse::Ipv4HeaderSlice::from_slice(ip).ok()?;
            if h.protocol() != etherparse::IpNumber::TCP || h.is_fragmenting_payload() {
                return None;
            }
            let hl = usize::from(h.ihl()) * 4;
            let total = usize::from(h.total_len());
            if total < hl {
                return None;
            }
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                hl,
                total,
            )
        }
        0x86DD => {
            let h = etherparse::Ipv6HeaderSlice::from_slice(ip).ok()?;
            if h.next_header() != etherparse::IpNumber::TCP || h.payload_length() == 0 {
                return None;
            }
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                40,
                40 + usize::from(h.payload_length()),
            )
        }
        _ => return None,
    };
    let incomplete = declared_end > ip.len();
    let seg = &ip[l4..declared_end.min(ip.len())];
    let tcp = etherparse::TcpHeaderSlice::from_slice(seg).ok()?;
    let payload = &seg[tcp.slice().len()..];
    // Bytes the snaplen cut off, per the IP length (a link trailer such as
    // an Ethernet FCS is not TCP payload), never more than the frame lost.
    let missing = if incomplete && packet.is_truncated() {
        (declared_end - ip.len()).min(packet.origlen as usize - packet.data.len())
    } else {
        0
    };
    Some(Decoded {
        src,
        dst,
        transport: Transport::Tcp(TcpSegment {
            src_port: tcp.source_port(),
            dst_port: tcp.destination_port(),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            flags: TcpFlags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            },
            payload,
            wire_len: (payload.len() + missing).min(u32::MAX as usize) as u32,
        }),
    })
}

/// The general path: etherparse's lax sliced-packet cursor, which handles
/// every header chain and says why a frame cannot be decoded.
fn decode_lax<'a>(packet: &Packet<'a>) -> Result<Decoded<'a>, Undecodable> {
    let data = packet.data;
    let sliced = match packet.linktype.normalized() {
        LinkType::ETHERNET => {
            LaxSlicedPacket::from_ethernet(data).map_err(|_| Undecodable::TruncatedLinkHeader)?
        }
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => {
            LaxSlicedPacket::from_ip(data).map_err(|_| Undecodable::BadIpHeader)?
        }
        LinkType::LINUX_SLL => {
            // packet type, ARPHRD, address length, 8 address bytes, protocol
            if data.len() < 16 {
                return Err(Undecodable::TruncatedLinkHeader);
            }
            let proto = u16::from_be_bytes([data[14], data[15]]);
            LaxSlicedPacket::from_ether_type(EtherType(proto), &data[16..])
        }
        LinkType::LINUX_SLL2 => {
            // protocol, reserved, interface index, ARPHRD, packet type,
            // address length, 8 address bytes
            if data.len() < 20 {
                return Err(Undecodable::TruncatedLinkHeader);
            }
            let proto = u16::from_be_bytes([data[0], data[1]]);
            LaxSlicedPacket::from_ether_type(EtherType(proto), &data[20..])
        }
        LinkType::NULL | LinkType::LOOP => {
            if data.len() < 4 {
                return Err(Undecodable::TruncatedLinkHeader);
            }
            let word = [data[0], data[1], data[2], data[3]];
            // NULL is in the capturing host's byte order, LOOP in network order.
            let ether = family_to_ethertype(u32::from_be_bytes(word))
                .or_else(|| family_to_ethertype(u32::from_le_bytes(word)))
                .ok_or(Undecodable::NotIp)?;
            LaxSlicedPacket::from_ether_type(ether, &data[4..])
        }
        _ => return Err(Undecodable::UnsupportedLinkType),
    };
    let (src, dst, payload) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload().clone(),
        ),
        Some(LaxNetSlice::Ipv6(v6)) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload().clone(),
        ),
        Some(LaxNetSlice::Arp(_)) => return Err(Undecodable::NotIp),
        None => {
            return Err(match sliced.stop_err {
                Some(_) => Undecodable::BadIpHeader,
                None => Undecodable::NotIp,
            });
        }
    };
    if payload.fragmented {
        return Err(Undecodable::IpFragment);
    }
    let transport = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let captured = tcp.payload();
            let missing = if payload.incomplete && packet.is_truncated() {
                packet.origlen as usize - packet.data.len()
            } else {
                0
            };
            Transport::Tcp(TcpSegment {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: TcpFlags {
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                },
                payload: captured,
                wire_len: (captured.len() + missing).min(u32::MAX as usize) as u32,
            })
        }
        Some(TransportSlice::Udp(udp)) => Transport::Udp {
            src_port: udp.source_port(),
            dst_port: udp.destination_port(),
            payload: udp.payload(),
        },
        Some(_) => Transport::Other(payload.ip_number.0),
        None => match payload.ip_number.0 {
            6 | 17 => return Err(Undecodable::TruncatedTransportHeader),
            other => Transport::Other(other),
        },
    };
    Ok(Decoded {
        src,
        dst,
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;
    use etherparse::PacketBuilder;

    fn tcp_ipv4(payload: &[u8]) -> Vec<u8> {
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 2379, 1000, 65535)
            .ack(77);
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    fn pkt(linktype: LinkType, data: &[u8], origlen: u32) -> Packet<'_> {
        Packet {
            ts: Timestamp(0),
            linktype,
            origlen,
            data,
        }
    }

    fn expect_tcp<'a>(d: &Decoded<'a>) -> TcpSegment<'a> {
        match d.transport {
            Transport::Tcp(t) => t,
            other => panic!("not tcp: {other:?}"),
        }
    }

    #[test]
    fn decodes_every_supported_link_type() {
        let ip = tcp_ipv4(b"hello");
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        let mut vlan = vec![0u8; 12];
        vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a, 0x08, 0x00]);
        vlan.extend_from_slice(&ip);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        let mut null_le = 2u32.to_le_bytes().to_vec();
        null_le.extend_from_slice(&ip);
        let mut loop_be = 2u32.to_be_bytes().to_vec();
        loop_be.extend_from_slice(&ip);
        for (lt, frame) in [
            (LinkType::ETHERNET, &eth),
            (LinkType::ETHERNET, &vlan),
            (LinkType::LINUX_SLL, &sll),
            (LinkType::LINUX_SLL2, &sll2),
            (LinkType::NULL, &null_le),
            (LinkType::LOOP, &loop_be),
            (LinkType::RAW, &ip),
            (LinkType::IPV4, &ip),
        ] {
            let p = pkt(lt, frame, frame.len() as u32);
            let d = decode(&p).unwrap_or_else(|e| panic!("{lt:?}: {e:?}"));
            assert_eq!(d.src.to_string(), "10.0.0.1");
            let t = expect_tcp(&d);
            assert_eq!(
                (t.src_port, t.dst_port, t.seq, t.ack),
                (40000, 2379, 1000, 77)
            );
            assert_eq!(t.payload, b"hello");
            assert_eq!(t.wire_len, 5);
        }
    }

    #[test]
    fn snaplen_cut_keeps_headers_and_counts_missing_bytes() {
        let ip = tcp_ipv4(&[0xAB; 100]);
        let cut = &ip[..20 + 20 + 30];
        let p = pkt(LinkType::RAW, cut, ip.len() as u32);
        let t = expect_tcp(&decode(&p).unwrap());
        assert_eq!(t.payload.len(), 30);
        assert_eq!(t.wire_len, 100);
    }

    #[test]
    fn link_trailer_is_not_counted_as_missing_payload() {
        // 100 payload bytes, cut after 30, and a 4-byte FCS on the wire.
        let ip = tcp_ipv4(&[0xAB; 100]);
        let cut = &ip[..20 + 20 + 30];
        let p = pkt(LinkType::RAW, cut, ip.len() as u32 + 4);
        let t = expect_tcp(&decode(&p).unwrap());
        assert_eq!(t.wire_len, 100);
    }

    #[test]
    fn reports_reasons_for_undecodable_frames() {
        let arp_like = [0u8; 12]
            .iter()
            .chain(&[0x08, 0x06])
            .chain(&[0u8; 28])
            .copied()
            .collect::<Vec<_>>();
        assert_eq!(
            decode(&pkt(LinkType::ETHERNET, &arp_like, 42)).unwrap_err(),
            Undecodable::NotIp
        );
        assert_eq!(
            decode(&pkt(LinkType(147), &[1, 2, 3], 3)).unwrap_err(),
            Undecodable::UnsupportedLinkType
        );
        assert_eq!(
            decode(&pkt(LinkType::LINUX_SLL2, &[8, 0, 1], 3)).unwrap_err(),
            Undecodable::TruncatedLinkHeader
        );
        let ip = tcp_ipv4(b"");
        assert_eq!(
            decode(&pkt(LinkType::RAW, &ip[..30], 40)).unwrap_err(),
            Undecodable::TruncatedTransportHeader
        );
        let mut frag = tcp_ipv4(b"0123456789");
        frag[6] = 0x20; // more fragments
        assert_eq!(
            decode(&pkt(LinkType::RAW, &frag, frag.len() as u32)).unwrap_err(),
            Undecodable::IpFragment
        );
    }
}
