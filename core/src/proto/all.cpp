// The list of protocols wirelab decodes. Adding a protocol: write core/src/proto/NAME.cpp with
// its field table and a register_NAME() function, and add that function here.
#include "wirelab/dissect.hpp"

namespace wirelab {
namespace proto {
void register_eth(Registry& r);
void register_ip(Registry& r);
void register_tcp(Registry& r);
void register_udp(Registry& r);
void register_http(Registry& r);
void register_websocket(Registry& r);
void register_vlan(Registry& r);
void register_llc(Registry& r);
void register_arp(Registry& r);
void register_sll(Registry& r);
void register_null(Registry& r);
void register_ipv6(Registry& r);
void register_icmp(Registry& r);
void register_icmpv6(Registry& r);
void register_engineio(Registry& r);
void register_socketio(Registry& r);
void register_dns(Registry& r);
}  // namespace proto

void register_all_protocols(Registry& r) {
    proto::register_eth(r);
    proto::register_ip(r);
    proto::register_tcp(r);
    proto::register_udp(r);
    proto::register_http(r);
    proto::register_websocket(r);
    proto::register_vlan(r);
    proto::register_llc(r);
    proto::register_arp(r);
    proto::register_sll(r);
    proto::register_null(r);
    proto::register_ipv6(r);
    proto::register_icmp(r);
    proto::register_icmpv6(r);
    proto::register_engineio(r);
    proto::register_socketio(r);
    proto::register_dns(r);
}

}  // namespace wirelab
