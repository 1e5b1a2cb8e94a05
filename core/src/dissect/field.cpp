// Names of the model layers and value-name lookup for the field tables.
#include "wirelab/field.hpp"

namespace wirelab {

std::string_view osi_name(OsiLayer l) {
    switch (l) {
        case OsiLayer::physical: return "Physical";
        case OsiLayer::data_link: return "Data link";
        case OsiLayer::network: return "Network";
        case OsiLayer::transport: return "Transport";
        case OsiLayer::session: return "Session";
        case OsiLayer::presentation: return "Presentation";
        case OsiLayer::application: return "Application";
        case OsiLayer::none: break;
    }
    return "-";
}

std::string_view tcpip_name(TcpIpLayer l) {
    switch (l) {
        case TcpIpLayer::link: return "Link";
        case TcpIpLayer::internet: return "Internet";
        case TcpIpLayer::transport: return "Transport";
        case TcpIpLayer::application: return "Application";
        case TcpIpLayer::none: break;
    }
    return "-";
}

std::string_view value_name(const FieldDef& f, std::uint64_t v) {
    for (const ValueName& n : f.names)
        if (n.value == v) return n.name;
    return {};
}

}  // namespace wirelab
