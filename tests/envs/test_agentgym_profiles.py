"""Server profiles against fakes built from the AgentGym servers' own source.

The request and reply shapes below are those of AgentGym's env servers: agentenv_webshop
(server.py, model.py, environment.py), agentenv_alfworld (server.py, env_wrapper.py),
agentenv_lmrlgym (maze/ and wordle/environment.py), agentenv_textcraft and agentenv_sciworld
(environment.py). Each fake is an httpx.MockTransport that records every request, so the tests
can assert what the client sent as well as what it made of the answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from agentgym_fake_server import FakeServer, Handler

from agentrm_ray.envs.agentgym.env import AgentGymEnv
from agentrm_ray.envs.agentgym.family import agentgym_tasks
from agentrm_ray.envs.agentgym.profiles import (
    PROFILES,
    SCIWORLD_TASK_VARIATIONS,
    read_webshop_clickables,
)
from agentrm_ray.envs.agentgym.remote import RemoteEnv
from agentrm_ray.envs.agentgym.transport import AgentGymHTTP, CallTimeouts


def _env(fake: FakeServer, server: str, url: str = "http://fake.invalid") -> AgentGymEnv:
    return AgentGymEnv(base_url=url, server=server, transport=fake.transport, max_retries=0)


def _remote(fake: FakeServer, server: str, url: str = "http://fake.invalid") -> RemoteEnv:
    http = AgentGymHTTP(url, dialect=server, transport=fake.transport,
                        timeouts=CallTimeouts.uniform(10.0, max_retries=0))
    return RemoteEnv(http, PROFILES[server])


def _data_idx(env: AgentGymEnv, task_id: str) -> int:
    return int({t.task_id: t for t in env.task_catalogue()}[task_id].param("data_idx"))


# ----------------------------------------------------------------------------- webshop
WEBSHOP_INSTRUCTION = "i need a red ceramic mug, and price lower than 20.00 dollars"
WEBSHOP_SEARCH = f"WebShop [SEP] Instruction: [SEP] {WEBSHOP_INSTRUCTION} [SEP] Search"
WEBSHOP_RESULTS = (
    f"Back to Search [SEP] Page 1 (Total results: 1) [SEP] Next > [SEP] B09MUG1234 [SEP] "
    f"Red Ceramic Coffee Mug 12oz [SEP] $14.99 [SEP] Instruction: [SEP] {WEBSHOP_INSTRUCTION}"
)
WEBSHOP_ITEM = (
    f"Instruction: [SEP] {WEBSHOP_INSTRUCTION} [SEP] Back to Search [SEP] < Prev [SEP] color "
    "[SEP] red [SEP] blue [SEP] Red Ceramic Coffee Mug 12oz [SEP] Price: $14.99 [SEP] Rating: "
    "N.A. [SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now"
)
WEBSHOP_DONE = (
    "Thank you for shopping with us! [SEP] Your code: [SEP] None [SEP] (Paste it in your MTurk "
    "interface.) [SEP] Purchased [SEP] asin [SEP] B09MUG1234 [SEP] options [SEP] {\"color\": "
    "\"red\"} [SEP] Your score (min 0.0, max 1.0) [SEP] 1.0"
)


class FakeWebShop:
    """agentenv_webshop's server: env ids are random ints, reset answers [observation, null],
    step answers {"state", "reward", "done", "info": null}, available_actions answers
    {"has_search_bar", "clickables"}; an action it cannot perform leaves the page as it is."""

    ENV_IDX = 31415926  # WebShopEnvServer.create draws random.randint(0, 48950076)

    def __init__(self) -> None:
        self.page = ""
        self.fake = FakeServer({
            "POST /create": lambda a: self.ENV_IDX,
            "POST /reset": self.reset,
            "POST /step": self.step,
            "GET /available_actions": self.available_actions,
            "GET /observation": lambda a: self.page,
            "POST /close": lambda a: {"closed": a["env_idx"] == self.ENV_IDX},
        })

    def reset(self, args: dict[str, Any]) -> Any:
        self.page = WEBSHOP_SEARCH
        return [self.page, None]

    def available_actions(self, args: dict[str, Any]) -> Any:
        if self.page == WEBSHOP_SEARCH:
            return {"has_search_bar": True, "clickables": ["search"]}
        if self.page == WEBSHOP_RESULTS:
            return {"has_search_bar": False,
                    "clickables": ["back to search", "next >", "b09mug1234"]}
        return {"has_search_bar": False, "clickables": [
            "back to search", "< prev", "description", "features", "reviews", "buy now",
            "red", "blue"]}

    def step(self, args: dict[str, Any]) -> Any:
        action, reward, done = args["action"], 0.0, False
        if action.startswith("search[") and self.page == WEBSHOP_SEARCH:
            self.page = WEBSHOP_RESULTS
        elif action == "click[b09mug1234]" and self.page == WEBSHOP_RESULTS:
            self.page = WEBSHOP_ITEM
        elif action == "click[buy now]" and self.page == WEBSHOP_ITEM:
            self.page, reward, done = WEBSHOP_DONE, 1.0, True
        # anything else (e.g. "next >" on the only page): nothing happens, same page
        return {"state": self.page, "reward": reward, "done": done, "info": None}


def test_webshop_episode_to_success_in_agentgym_shapes() -> None:
    shop = FakeWebShop()
    env = _env(shop.fake, "webshop")
    obs, info = env.reset(options={"task_id": "webshop-5"})
    assert obs == WEBSHOP_SEARCH and info["goal"] == WEBSHOP_INSTRUCTION
    assert "admissible_actions" not in info  # a search bar: any search[...] may be typed
    assert shop.fake.bodies("POST /reset") == [
        {"env_idx": FakeWebShop.ENV_IDX, "session_id": _data_idx(env, "webshop-5")}]
    assert "GET /observation" not in shop.fake.paths()  # the reset reply carries the page

    obs, reward, terminated, _, info = env.step("search[red ceramic mug]")
    assert obs == WEBSHOP_RESULTS and info["valid_action"] and reward == 0.0 and not terminated
    assert info["admissible_actions"] == [
        "click[back to search]", "click[next >]", "click[b09mug1234]"]
    assert shop.fake.requests[-1][:2] == ("GET", "/available_actions")
    assert shop.fake.requests[-1][2] == {"env_idx": str(FakeWebShop.ENV_IDX)}

    steps = shop.fake.paths().count("POST /step")
    obs, *_, info = env.step("search[blue mug]")  # no search bar here: rejected locally
    assert info["valid_action"] is False and "click[b09mug1234]" in obs
    assert shop.fake.paths().count("POST /step") == steps

    obs, *_, info = env.step("click[next >]")  # the only page: WebShop answers the same page
    assert info["valid_action"] is False and obs.startswith("Invalid action")
    assert WEBSHOP_RESULTS in obs

    obs, reward, terminated, _, info = env.step("click[B09MUG1234]")  # case is forgiven
    assert obs == WEBSHOP_ITEM and info["valid_action"] and not terminated
    assert shop.fake.bodies("POST /step")[-1] == {
        "env_idx": FakeWebShop.ENV_IDX, "action": "click[b09mug1234]"}
    assert "click[buy now]" in info["admissible_actions"]

    obs, reward, terminated, _, info = env.step("click[buy now]")
    assert obs == WEBSHOP_DONE and terminated and reward == 1.0
    assert info["success"] is True and info["progress"] == 1.0
    env.close()
    assert shop.fake.bodies("POST /close") == [{"env_idx": FakeWebShop.ENV_IDX}]


def test_webshop_close_is_probed_on_servers_without_it() -> None:
    shop = FakeWebShop()
    del shop.fake.routes["POST /close"]  # agentenv_webshop before close was added
    env = _env(shop.fake, "webshop")
    env.reset(options={"task_id": "webshop-0"})
    env.close()  # the 404 is not an error
    assert shop.fake.paths().count("POST /close") == 1


def test_webshop_clickables_reader() -> None:
    assert read_webshop_clickables({"has_search_bar": True, "clickables": ["search"]}) is None
    assert read_webshop_clickables(
        {"has_search_bar": False, "clickables": ["back to search", "search", "Large"]}
    ) == ["click[back to search]", "click[Large]"]
    assert read_webshop_clickables({"error": "boom"}) is None


def test_webshop_partial_purchase_is_progress_not_success() -> None:
    shop = FakeWebShop()
    shop.fake.routes["POST /step"] = lambda a: {
        "state": "Thank you for shopping with us! ... [SEP] 0.5", "reward": 0.5, "done": True,
        "info": None}
    env = _env(shop.fake, "webshop")
    env.reset(options={"task_id": "webshop-1"})
    _, reward, terminated, _, info = env.step("search[mug]")
    assert terminated and reward == 0.5 and info["progress"] == 0.5 and not info["success"]
    env.close()


# ----------------------------------------------------------------------------- alfworld
ALFWORLD_START = (
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a "
    "countertop 1, a sinkbasin 1, and a toaster 1.\nYour task is to: put a clean mug in "
    "cabinet."
)
ALFWORLD_ACTIONS = ["go to cabinet 1", "go to countertop 1", "go to sinkbasin 1",
                    "go to toaster 1", "inventory", "look"]

ALFWORLD_SCRIPT: dict[str, tuple[str, list[str], float, bool]] = {
    "go to countertop 1": ("On the countertop 1, you see a mug 1.",
                           ["take mug 1 from countertop 1", "go to sinkbasin 1", "look"],
                           0.0, False),
    "take mug 1 from countertop 1": ("You pick up the mug 1 from the countertop 1.",
                                     ["go to sinkbasin 1", "look"], 0.0, False),
    "go to sinkbasin 1": ("On the sinkbasin 1, you see nothing.",
                          ["clean mug 1 with sinkbasin 1", "go to cabinet 1", "look"],
                          0.0, False),
    "clean mug 1 with sinkbasin 1": ("You clean the mug 1 using the sinkbasin 1.",
                                     ["go to cabinet 1", "look"], 0.0, False),
    "go to cabinet 1": ("The cabinet 1 is closed.",
                        ["open cabinet 1", "put mug 1 in/on cabinet 1", "look"], 0.0, False),
    "open cabinet 1": ("Nothing happens.",  # an admissible command that did nothing
                       ["open cabinet 1", "put mug 1 in/on cabinet 1", "look"], 0.0, False),
    "put mug 1 in/on cabinet 1": ("You put the mug 1 in/on the cabinet 1.", [], 1.0, True),
}


class FakeAlfWorld:
    """agentenv_alfworld's server: {"id"} from create, reset needs {"id", "game",
    "world_type"}, every reset/step reply carries the admissible commands, reward is
    float(won), and there is no close endpoint."""

    def __init__(self) -> None:
        self.actions = list(ALFWORLD_ACTIONS)
        self.fake = FakeServer({
            "POST /create": lambda a: {"id": 0},
            "POST /reset": self.reset,
            "POST /step": self.step,
            "GET /available_actions": lambda a: self.actions,
            "GET /observation": lambda a: ALFWORLD_START,
        })

    def reset(self, args: dict[str, Any]) -> Any:
        if args.get("world_type") not in ("Text", "Embody", "Hybrid"):
            return httpx.Response(422, json={"detail": [
                {"loc": ["body", "world_type"], "msg": "Field required"}]})
        self.actions = list(ALFWORLD_ACTIONS)
        return {"id": args["id"], "observation": ALFWORLD_START,
                "available_actions": self.actions,
                "task_type": "pick_clean_then_place_in_recep-Mug-None-Cabinet-23/trial_T1"}

    def step(self, args: dict[str, Any]) -> Any:
        observation, self.actions, reward, done = ALFWORLD_SCRIPT[args["action"]]
        return {"observation": observation, "reward": reward,
                "available_actions": self.actions, "done": done}


def test_alfworld_episode_to_success_in_agentgym_shapes() -> None:
    world = FakeAlfWorld()
    env = _env(world.fake, "alfworld")
    obs, info = env.reset(options={"task_id": "alfworld-3"})
    assert obs == ALFWORLD_START and info["goal"] == "put a clean mug in cabinet."
    assert info["admissible_actions"] == ALFWORLD_ACTIONS
    assert world.fake.bodies("POST /reset") == [
        {"id": 0, "game": _data_idx(env, "alfworld-3"), "world_type": "Text"}]

    obs, *_, info = env.step("fly to the moon")  # not admissible: rejected locally
    assert info["valid_action"] is False and "go to countertop 1" in obs
    assert "POST /step" not in world.fake.paths()

    for action in ("go to countertop 1", "take mug 1 from countertop 1", "go to sinkbasin 1",
                   "clean mug 1 with sinkbasin 1", "go to cabinet 1"):
        obs, reward, terminated, _, info = env.step(action)
        assert info["valid_action"] is True and reward == 0.0 and not terminated, action
        assert info["admissible_actions"] == ALFWORLD_SCRIPT[action][1]
    obs, reward, terminated, _, info = env.step("open cabinet 1")
    assert obs.startswith("Invalid action") and "Nothing happens." in obs
    assert info["valid_action"] is False and not terminated
    obs, reward, terminated, _, info = env.step("put mug 1 in/on cabinet 1")
    assert terminated and reward == 1.0 and info["success"] is True and info["progress"] == 1.0
    # the actions came with every reply: the endpoint was never needed
    assert "GET /available_actions" not in world.fake.paths()
    assert world.fake.bodies("POST /step")[-1] == {"id": 0, "action": "put mug 1 in/on cabinet 1"}
    env.close()
    assert world.fake.paths().count("POST /close") == 1  # probed; AgentGym's server has none


def test_alfworld_default_catalogue_is_agentgyms_test_games() -> None:
    profile = PROFILES["alfworld"]
    assert [profile.catalogue_index(i) for i in (0, 1, 199)] == [2420, 2421, 2619]
    assert profile.default_num_tasks == 200


# ----------------------------------------------------------------------------- textcraft
@pytest.mark.parametrize("reply, valid", [
    ("Could not execute craft a stick", False),
    ("Could not find enough items to craft minecraft:stick", False),
    ("Could not find a valid recipe for 4 stick", False),
    ("Got 1 oak planks", True),
    ("Crafted 4 minecraft:stick", True),
])
def test_textcraft_failed_actions_are_invalid(reply: str, valid: bool) -> None:
    fake = FakeServer({
        "POST /create": lambda a: {"id": 0, "observation": "Crafting commands:\n...",
                                   "done": False, "reward": 0},
        "POST /reset": lambda a: {"id": 0, "observation":
                                  "Crafting commands:\ncraft 4 stick using 2 oak planks\n\n"
                                  "Goal: craft stick."},
        "POST /step": lambda a: {"observation": reply, "reward": 0, "done": False},
        "POST /close": lambda a: True,
    })
    env = _env(fake, "textcraft")
    env.reset(options={"task_id": "textcraft-0"})
    obs, reward, terminated, _, info = env.step("craft 4 stick using 2 oak planks")
    assert info["valid_action"] is valid and reply in obs and reward == 0.0 and not terminated
    env.close()


# ----------------------------------------------------------------------------- maze
MAZE_START = ("Your position is (1, 9). There is a wall above you. The goal is at (8, 6).\n")
MAZE_MOVED = ("Your position is (2, 9). There are walls to your left and to your right. The goal "
              "is at (8, 6).\n")


def test_maze_bumping_a_wall_is_an_invalid_action() -> None:
    state = {"obs": MAZE_START}

    def step(args: dict[str, Any]) -> Any:
        if args["action"] == "move down":
            state["obs"] = MAZE_MOVED
        return {"observation": state["obs"], "reward": 0.0, "done": False}  # walls: unchanged

    fake = FakeServer({
        "POST /maze/create": lambda a: {"id": 0},
        "POST /maze/reset": lambda a: {"observation": MAZE_START},  # LMRL: observation only
        "POST /maze/step": step,
        "GET /maze/available_actions": lambda a: ["move left", "move right", "move up",
                                                  "move down"],
    })
    env = _env(fake, "maze")
    env.reset(options={"task_id": "maze-25"})  # the 26th game exists on LMRL's server
    assert fake.bodies("POST /maze/reset")[0]["game"] == _data_idx(env, "maze-25")
    obs, reward, _, _, info = env.step("move up")
    assert info["valid_action"] is False and obs.startswith("Invalid action: 'move up'")
    assert MAZE_START.strip() in obs and reward == 0.0
    _, _, _, _, info = env.step("move up")  # the same wall again: still nothing happened
    assert info["valid_action"] is False
    obs, _, _, _, info = env.step("move down")
    assert info["valid_action"] is True and obs == MAZE_MOVED
    _, _, _, _, info = env.step("move left")  # a wall after a real move
    assert info["valid_action"] is False
    assert fake.paths().count("POST /maze/step") == 4
    env.close()


def test_maze_catalogue_has_lmrls_26_games() -> None:
    assert PROFILES["maze"].default_num_tasks == 26
    tasks = agentgym_tasks("maze")
    assert len(tasks) == 26 and tasks[-1].task_id == "maze-25"


# ----------------------------------------------------------------------------- wordle
WORDLE_VOCAB = ["about", "crane", "slate", "mount", "pride", ""]  # str(vocab).split("\n")


def _wordle(vocab: Handler | None) -> FakeServer:
    routes: dict[str, Handler] = {
        "POST /wordle/create": lambda a: {"id": 0},
        "POST /wordle/reset": lambda a: {"id": a["id"], "observation": "Let's start Wordle!"},
        "POST /wordle/step": lambda a: {"observation": "Wordle:\nc r a n e\nb y b b g\n",
                                        "reward": 0, "done": False},
    }
    if vocab is not None:
        routes["GET /wordle/filtered_vocab"] = vocab
    return FakeServer(routes)


def test_wordle_goal_lists_the_vocabulary_and_the_feedback_letters() -> None:
    fake = _wordle(lambda a: WORDLE_VOCAB)
    url = "http://wordle-with-vocab.invalid"  # the word list is cached per server URL
    env = _env(fake, "wordle", url)
    _, info = env.reset(options={"task_id": "wordle-4"})
    goal = info["goal"]
    assert "these 5 words" in goal and "about, crane, slate, mount, pride." in goal
    assert "g = that letter is in the word at this position" in goal
    assert "y = the letter is in the word but at another position" in goal
    assert "b = the letter is not in the word" in goal
    assert fake.bodies("GET /wordle/filtered_vocab") == [{"id": "0"}]
    env.reset(options={"task_id": "wordle-5"})  # a second episode: no second fetch
    other = _env(fake, "wordle", url)
    _, info = other.reset(options={"task_id": "wordle-6"})  # nor for another env there
    assert info["goal"] == goal
    assert fake.paths().count("GET /wordle/filtered_vocab") == 1
    env.close()
    other.close()


@pytest.mark.parametrize("vocab", [None, lambda a: {"error": "The id 0 is not valid."}])
def test_wordle_without_a_vocabulary_still_explains_the_feedback(vocab: Handler | None) -> None:
    fake = _wordle(vocab)
    env = _env(fake, "wordle", f"http://wordle-no-vocab-{vocab is None}.invalid")
    _, info = env.reset(options={"task_id": "wordle-1"})
    assert "b = the letter is not in the word" in info["goal"]
    assert "words, the only guesses" not in info["goal"]
    assert fake.paths().count("GET /wordle/filtered_vocab") == 1
    env.close()


# ----------------------------------------------------------------------------- sciworld
def test_sciworld_reward_is_scaled_and_an_invalid_step_keeps_the_score() -> None:
    replies = iter([
        {"observation": "You focus on the water.", "reward": 25, "score": 25, "done": False},
        # ScienceWorld answers an unparsable action with a lost score (and the drop as reward)
        {"observation": "No known action matches that input.", "reward": -25, "score": 0,
         "done": False},
        {"observation": "The water is boiling.", "reward": 50, "score": 50, "done": False},
        {"observation": "Wrong focus. Task failed.", "reward": -150, "score": -100,
         "done": True},
    ])
    fake = FakeServer({
        "POST /create": lambda a: {"id": 0},
        "POST /reset": lambda a: {"task_name": "boil", "var_num": 3,
                                  "task_description": "Your task is to boil water.",
                                  "observation": "This room is called the kitchen.",
                                  "reward": 0, "score": 0, "deleted": False, "done": False},
        "POST /step": lambda a: next(replies),
        "POST /close": lambda a: True,
    })
    env = _env(fake, "sciworld")
    env.reset(options={"task_id": "sciworld-0"})
    _, reward, _, _, info = env.step("focus on water")
    assert reward == pytest.approx(0.25) and info["progress"] == 0.25
    assert info["server_score"] == 25.0
    _, reward, _, _, info = env.step("levitate")
    assert info["valid_action"] is False and reward == 0.0 and info["progress"] == 0.25
    _, reward, _, _, info = env.step("heat water")  # 25 -> 50, not the server's 0 -> 50
    assert reward == pytest.approx(0.25) and info["progress"] == 0.5
    _, reward, terminated, _, info = env.step("focus on door")
    assert terminated and reward == pytest.approx(-1.5) and info["progress"] == 0.0
    assert not info["success"]
    env.close()


def test_sciworld_invalid_step_reply_carries_the_last_valid_score() -> None:
    replies = iter([
        {"observation": "You open the door.", "reward": 8, "score": 8, "done": False},
        {"observation": "No known action matches that input.", "reward": -8, "score": 0,
         "done": False},
    ])
    fake = FakeServer({
        "POST /create": lambda a: {"id": 0},
        "POST /reset": lambda a: {"observation": "Kitchen.", "score": 0,
                                  "task_description": "Boil water."},
        "POST /step": lambda a: next(replies),
    })
    remote = _remote(fake, "sciworld")
    remote.reset(0)
    assert remote.step("open door").score == 8.0
    reply = remote.step("levitate")
    assert reply.invalid and reply.score == 8.0 and reply.reward == 0.0


def test_sciworld_default_catalogue_spreads_over_all_task_types() -> None:
    profile = PROFILES["sciworld"]
    assert sum(size for _, size in SCIWORLD_TASK_VARIATIONS) == 4639  # the server's games
    bounds, start = [], 0
    for name, size in SCIWORLD_TASK_VARIATIONS:
        bounds.append((start, start + size, name))
        start += size

    def task_type(data_idx: int) -> str:
        return next(name for lo, hi, name in bounds if lo <= data_idx < hi)

    first = [profile.catalogue_index(i) for i in range(profile.default_num_tasks)]
    assert len(set(first)) == 100 and all(0 <= d < 4639 for d in first)
    assert len({task_type(d) for d in first}) == 23  # 0..99 were 4 types only
    assert {task_type(d) for d in first[:23]} == {name for name, _ in SCIWORLD_TASK_VARIATIONS}
    assert first[:3] == [0, 30, 60]  # boil, melt and freeze variation 0
    everything = [profile.catalogue_index(i) for i in range(4639)]
    assert sorted(everything) == list(range(4639))  # a permutation: no game twice
    with pytest.raises(ValueError, match="4639 games"):
        profile.catalogue_index(4639)
