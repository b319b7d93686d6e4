"""What exists in each room type, and which objects each task type may ask for.

Pure data, kept apart from the generator so the world's vocabulary can be read (and extended)
in one place. Names follow ALFWorld/AI2-THOR's lowercase type names ("sinkbasin",
"stoveburner", "butterknife") because policies prompted for ALFWorld expect exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass

# Receptacles that start closed and must be opened before their contents are seen or used.
OPENABLE = frozenset({"cabinet", "drawer", "fridge", "microwave", "safe"})

# The appliance that performs each transformation, and the command verb for it.
APPLIANCE = {"clean": "sinkbasin", "heat": "microwave", "cool": "fridge"}

# Objects that can be switched on with "use" but not picked up.
LAMP = "desklamp"
LAMP_HOLDERS = ("sidetable", "desk", "dresser")


@dataclass(frozen=True)
class RoomTemplate:
    """A room type: receptacle counts to draw from, and where each object type may start."""

    name: str
    receptacles: tuple[tuple[str, int, int], ...]  # (type, fewest, most)
    objects: dict[str, tuple[str, ...]]  # object type -> receptacle types it may start in


_FOOD = ("countertop", "diningtable", "fridge", "garbagecan", "microwave", "sinkbasin")
_DISH = ("countertop", "cabinet", "diningtable", "fridge", "microwave", "shelf", "sinkbasin")
_CUTLERY = ("countertop", "diningtable", "drawer", "sinkbasin")
_SMALL_LIVING = ("armchair", "coffeetable", "sidetable", "sofa", "drawer", "dresser", "tvstand")
_DECOR = ("coffeetable", "shelf", "sidetable", "dresser", "tvstand", "cabinet")
_DESK_SMALL = ("desk", "drawer", "shelf", "sidetable", "dresser")

KITCHEN = RoomTemplate(
    name="kitchen",
    receptacles=(
        ("cabinet", 3, 8), ("coffeemachine", 1, 1), ("countertop", 1, 3),
        ("diningtable", 0, 1), ("drawer", 2, 5), ("fridge", 1, 1), ("garbagecan", 1, 1),
        ("microwave", 1, 1), ("shelf", 0, 3), ("sinkbasin", 1, 1), ("stoveburner", 2, 4),
        ("toaster", 1, 1),
    ),
    objects={
        "apple": _FOOD, "egg": _FOOD, "potato": _FOOD, "tomato": _FOOD,
        "bread": ("countertop", "diningtable", "fridge", "microwave"),
        "lettuce": ("countertop", "diningtable", "fridge", "garbagecan", "sinkbasin"),
        "mug": (*_DISH, "coffeemachine"), "cup": _DISH, "bowl": _DISH, "plate": _DISH,
        "pan": ("countertop", "cabinet", "stoveburner", "diningtable", "sinkbasin"),
        "pot": ("countertop", "cabinet", "stoveburner", "diningtable", "sinkbasin", "fridge"),
        "knife": _CUTLERY, "butterknife": _CUTLERY, "fork": _CUTLERY, "spoon": _CUTLERY,
        "spatula": _CUTLERY, "ladle": _CUTLERY,
        "saltshaker": ("countertop", "cabinet", "drawer", "diningtable", "shelf"),
        "peppershaker": ("countertop", "cabinet", "drawer", "diningtable", "shelf"),
        "soapbottle": ("countertop", "cabinet", "shelf", "sinkbasin"),
        "dishsponge": ("countertop", "cabinet", "drawer", "sinkbasin", "shelf"),
        "winebottle": ("countertop", "cabinet", "diningtable", "fridge", "shelf"),
        "kettle": ("countertop", "stoveburner", "cabinet", "shelf"),
    },
)

BATHROOM = RoomTemplate(
    name="bathroom",
    receptacles=(
        ("bathtubbasin", 1, 1), ("cabinet", 2, 4), ("countertop", 1, 1), ("drawer", 1, 4),
        ("garbagecan", 1, 1), ("handtowelholder", 0, 2), ("shelf", 0, 2), ("sinkbasin", 1, 2),
        ("toilet", 1, 1), ("toiletpaperhanger", 1, 1), ("towelholder", 1, 1),
    ),
    objects={
        "soapbar": ("bathtubbasin", "cabinet", "countertop", "sinkbasin", "toilet", "shelf"),
        "cloth": ("bathtubbasin", "cabinet", "countertop", "drawer", "sinkbasin", "shelf"),
        "candle": ("cabinet", "countertop", "toilet", "shelf", "drawer"),
        "spraybottle": ("cabinet", "countertop", "toilet", "shelf", "garbagecan"),
        "toiletpaper": ("cabinet", "countertop", "toilet", "toiletpaperhanger", "drawer"),
        "soapbottle": ("cabinet", "countertop", "toilet", "shelf", "garbagecan"),
        "towel": ("towelholder", "bathtubbasin"),
        "handtowel": ("handtowelholder", "countertop"),
        "dishsponge": ("cabinet", "countertop", "drawer", "sinkbasin"),
        "tissuebox": ("countertop", "toilet", "shelf", "cabinet"),
    },
)

LIVING_ROOM = RoomTemplate(
    name="living room",
    receptacles=(
        ("armchair", 1, 2), ("cabinet", 0, 4), ("coffeetable", 1, 1), ("diningtable", 0, 1),
        ("drawer", 1, 5), ("dresser", 0, 1), ("garbagecan", 1, 1), ("safe", 0, 1),
        ("shelf", 0, 6), ("sidetable", 1, 3), ("sofa", 1, 1), ("tvstand", 0, 1),
    ),
    objects={
        "remotecontrol": _SMALL_LIVING,
        "keychain": (*_SMALL_LIVING, "shelf", "safe"),
        "creditcard": (*_SMALL_LIVING, "safe"),
        "cellphone": _SMALL_LIVING,
        "newspaper": ("armchair", "coffeetable", "sidetable", "sofa", "diningtable", "dresser"),
        "pillow": ("armchair", "sofa"),
        "laptop": ("coffeetable", "sofa", "armchair", "diningtable"),
        "statue": _DECOR, "vase": _DECOR,
        "box": ("coffeetable", "sofa", "sidetable", "diningtable", "armchair"),
        "watch": ("coffeetable", "sidetable", "drawer", "shelf", "dresser", "safe"),
        "book": ("coffeetable", "sidetable", "sofa", "shelf"),
        "tissuebox": ("coffeetable", "sidetable", "shelf", "dresser"),
        "plate": ("coffeetable", "diningtable", "shelf"),
    },
)

BEDROOM = RoomTemplate(
    name="bedroom",
    receptacles=(
        ("armchair", 0, 1), ("bed", 1, 1), ("desk", 1, 2), ("drawer", 2, 8),
        ("dresser", 0, 1), ("garbagecan", 1, 1), ("laundryhamper", 0, 1), ("safe", 0, 1),
        ("shelf", 1, 6), ("sidetable", 0, 2),
    ),
    objects={
        "alarmclock": ("desk", "sidetable", "shelf", "dresser"),
        "book": ("bed", *_DESK_SMALL),
        "cd": (*_DESK_SMALL, "safe", "garbagecan"),
        "cellphone": ("bed", *_DESK_SMALL),
        "creditcard": _DESK_SMALL,
        "keychain": (*_DESK_SMALL, "safe"),
        "laptop": ("bed", "desk"),
        "pen": (*_DESK_SMALL, "garbagecan"),
        "pencil": (*_DESK_SMALL, "garbagecan"),
        "pillow": ("bed", "armchair"),
        "mug": ("desk", "sidetable", "shelf"),
        "bowl": ("desk", "shelf", "sidetable"),
        "teddybear": ("bed", "armchair", "shelf"),
        "cloth": ("drawer", "laundryhamper", "dresser"),
    },
)

ROOMS: dict[str, RoomTemplate] = {r.name: r for r in (KITCHEN, BATHROOM, LIVING_ROOM, BEDROOM)}

# ALFWorld's six task types.
TASK_TYPES = (
    "pick_and_place",
    "pick_clean_then_place",
    "pick_heat_then_place",
    "pick_cool_then_place",
    "look_at_obj_in_light",
    "pick_two_obj_and_place",
)

# The transformation a task type requires of its object (None for the others).
TRANSFORM: dict[str, str | None] = {
    "pick_and_place": None,
    "pick_clean_then_place": "clean",
    "pick_heat_then_place": "heat",
    "pick_cool_then_place": "cool",
    "look_at_obj_in_light": None,
    "pick_two_obj_and_place": None,
}

# Rooms each task type is set in (the ones that have the appliance or the lamp it needs).
TASK_ROOMS: dict[str, tuple[str, ...]] = {
    "pick_and_place": ("kitchen", "living room", "bedroom", "bathroom"),
    "pick_clean_then_place": ("kitchen", "bathroom"),
    "pick_heat_then_place": ("kitchen",),
    "pick_cool_then_place": ("kitchen",),
    "look_at_obj_in_light": ("living room", "bedroom"),
    "pick_two_obj_and_place": ("kitchen", "living room", "bedroom", "bathroom"),
}

# Object types a transform task may ask for, per room; rooms not listed allow every object.
TASK_OBJECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "pick_clean_then_place": {
        "kitchen": ("mug", "cup", "bowl", "plate", "pan", "pot", "knife", "butterknife", "fork",
                    "spoon", "spatula", "ladle", "apple", "lettuce", "tomato", "potato"),
        "bathroom": ("soapbar", "cloth"),
    },
    "pick_heat_then_place": {
        "kitchen": ("apple", "bread", "egg", "potato", "tomato", "mug", "cup", "plate"),
    },
    "pick_cool_then_place": {
        "kitchen": ("apple", "bread", "egg", "lettuce", "potato", "tomato", "mug", "cup",
                    "bowl", "plate", "pan", "pot", "winebottle"),
    },
}

# ALFWorld's two phrasings per task type ({o}: object type, {r}: receptacle type).
GOAL_TEMPLATES: dict[str, tuple[str, str]] = {
    "pick_and_place": ("put a {o} in {r}.", "put some {o} on {r}."),
    "pick_clean_then_place": ("put a clean {o} in {r}.", "clean some {o} and put it in {r}."),
    "pick_heat_then_place": ("put a hot {o} in {r}.", "heat some {o} and put it in {r}."),
    "pick_cool_then_place": ("put a cool {o} in {r}.", "cool some {o} and put it in {r}."),
    "look_at_obj_in_light": ("look at {o} under the {r}.", "examine the {o} with the {r}."),
    "pick_two_obj_and_place": ("put two {o} in {r}.", "find two {o} and put them in {r}."),
}
