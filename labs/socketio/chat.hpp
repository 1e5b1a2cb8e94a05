// The chat of labs 06 and 08, as Socket.IO's own chat tutorial has it: a client emits
// "chat message", the server broadcasts it unchanged to everyone (the sender included), or to
// the room the client joined; nicknames from the auth payload, who is online, who is typing.
#pragma once

#include "socketio_server.hpp"

namespace sioserver {

void add_chat(SocketServer& io);

}  // namespace sioserver
