import ArenaAdd from "./arena/add.ts";
import ArenaList from "./arena/list.ts";
import ArenaRemove from "./arena/remove.ts";
import Id from "./id.ts";
import Init from "./init.ts";
import PeerAdd from "./peer/add.ts";
import PeerList from "./peer/list.ts";
import PeerRemove from "./peer/remove.ts";
import Ping from "./ping.ts";
import Pull from "./pull.ts";
import Push from "./push.ts";
import Serve from "./serve.ts";
import Status from "./status.ts";

export const COMMANDS = {
  init: Init,
  id: Id,
  "peer:add": PeerAdd,
  "peer:remove": PeerRemove,
  "peer:list": PeerList,
  "arena:add": ArenaAdd,
  "arena:remove": ArenaRemove,
  "arena:list": ArenaList,
  push: Push,
  pull: Pull,
  serve: Serve,
  status: Status,
  ping: Ping,
};
