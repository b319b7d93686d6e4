; Tyreworld: replace flat wheels by the intact spares stored in the boot,
; using the wrench, the jack and the pump, then tidy everything away.
; The tools are typed objects, so an action names the tool it needs.
(define (domain tyreworld)
  (:requirements :strips :typing)
  (:types container hub thing - object
          tool wheel nut - thing
          wrench jack pump - tool)
  (:predicates
    (open ?c - container)
    (closed ?c - container)
    (unlocked ?c - container)
    (have ?x - thing)
    (in ?x - thing ?c - container)
    (loose ?n - nut ?h - hub)
    (tight ?n - nut ?h - hub)
    (on-ground ?h - hub)
    (not-on-ground ?h - hub)
    (fastened ?h - hub)
    (unfastened ?h - hub)
    (free ?h - hub)
    (on ?w - wheel ?h - hub)
    (inflated ?w - wheel)
    (not-inflated ?w - wheel)
    (intact ?w - wheel))

  (:action open
    :parameters (?c - container)
    :precondition (and (unlocked ?c) (closed ?c))
    :effect (and (open ?c) (not (closed ?c))))

  (:action close
    :parameters (?c - container)
    :precondition (and (open ?c))
    :effect (and (closed ?c) (not (open ?c))))

  (:action fetch
    :parameters (?x - thing ?c - container)
    :precondition (and (in ?x ?c) (open ?c))
    :effect (and (have ?x) (not (in ?x ?c))))

  (:action put-away
    :parameters (?x - thing ?c - container)
    :precondition (and (have ?x) (open ?c))
    :effect (and (in ?x ?c) (not (have ?x))))

  (:action loosen
    :parameters (?n - nut ?h - hub ?w - wrench)
    :precondition (and (have ?w) (tight ?n ?h) (on-ground ?h))
    :effect (and (loose ?n ?h) (not (tight ?n ?h))))

  (:action tighten
    :parameters (?n - nut ?h - hub ?w - wrench)
    :precondition (and (have ?w) (loose ?n ?h) (on-ground ?h))
    :effect (and (tight ?n ?h) (not (loose ?n ?h))))

  (:action jack-up
    :parameters (?h - hub ?j - jack)
    :precondition (and (on-ground ?h) (have ?j))
    :effect (and (not-on-ground ?h)
                 (not (on-ground ?h)) (not (have ?j))))

  (:action jack-down
    :parameters (?h - hub ?j - jack)
    :precondition (and (not-on-ground ?h))
    :effect (and (on-ground ?h) (have ?j)
                 (not (not-on-ground ?h))))

  (:action undo
    :parameters (?n - nut ?h - hub ?w - wrench)
    :precondition (and (not-on-ground ?h) (fastened ?h) (have ?w) (loose ?n ?h))
    :effect (and (have ?n) (unfastened ?h)
                 (not (fastened ?h)) (not (loose ?n ?h))))

  (:action do-up
    :parameters (?n - nut ?h - hub ?w - wrench)
    :precondition (and (have ?w) (unfastened ?h) (not-on-ground ?h) (have ?n))
    :effect (and (loose ?n ?h) (fastened ?h)
                 (not (unfastened ?h)) (not (have ?n))))

  (:action remove-wheel
    :parameters (?w - wheel ?h - hub)
    :precondition (and (not-on-ground ?h) (on ?w ?h) (unfastened ?h))
    :effect (and (have ?w) (free ?h)
                 (not (on ?w ?h))))

  (:action put-on-wheel
    :parameters (?w - wheel ?h - hub)
    :precondition (and (have ?w) (free ?h) (unfastened ?h) (not-on-ground ?h))
    :effect (and (on ?w ?h)
                 (not (free ?h)) (not (have ?w))))

  (:action inflate
    :parameters (?w - wheel ?p - pump)
    :precondition (and (have ?p) (not-inflated ?w) (intact ?w))
    :effect (and (inflated ?w) (not (not-inflated ?w)))))
