; Barman: a two-handed robot bartender fills shots from dispensers, pours the
; ingredients into a shaker, shakes cocktails and serves them in shots.
; The shaker holds at most two ingredients; its fill level is tracked with
; level objects linked by (next ...). A shot that received a served cocktail
; counts as used, so after emptying it can be cleaned again.
(define (domain barman)
  (:requirements :strips :typing)
  (:types hand level beverage dispenser container - object
          ingredient cocktail - beverage
          shot shaker - container)
  (:predicates
    (ontable ?c - container)
    (holding ?h - hand ?c - container)
    (handempty ?h - hand)
    (empty ?c - container)
    (contains ?c - container ?b - beverage)
    (clean ?c - container)
    (used ?c - container ?b - beverage)
    (dispenses ?d - dispenser ?i - ingredient)
    (shaker-empty-level ?s - shaker ?l - level)
    (shaker-level ?s - shaker ?l - level)
    (next ?below - level ?above - level)
    (unshaked ?s - shaker)
    (shaked ?s - shaker)
    (cocktail-part1 ?c - cocktail ?i - ingredient)
    (cocktail-part2 ?c - cocktail ?i - ingredient))

  (:action grasp
    :parameters (?h - hand ?c - container)
    :precondition (and (ontable ?c) (handempty ?h))
    :effect (and (holding ?h ?c)
                 (not (ontable ?c)) (not (handempty ?h))))

  (:action leave
    :parameters (?h - hand ?c - container)
    :precondition (and (holding ?h ?c))
    :effect (and (ontable ?c) (handempty ?h)
                 (not (holding ?h ?c))))

  (:action fill-shot
    :parameters (?s - shot ?i - ingredient ?h1 - hand ?h2 - hand ?d - dispenser)
    :precondition (and (holding ?h1 ?s) (handempty ?h2) (dispenses ?d ?i)
                       (empty ?s) (clean ?s))
    :effect (and (contains ?s ?i) (used ?s ?i)
                 (not (empty ?s)) (not (clean ?s))))

  (:action refill-shot
    :parameters (?s - shot ?i - ingredient ?h1 - hand ?h2 - hand ?d - dispenser)
    :precondition (and (holding ?h1 ?s) (handempty ?h2) (dispenses ?d ?i)
                       (empty ?s) (used ?s ?i))
    :effect (and (contains ?s ?i)
                 (not (empty ?s))))

  (:action empty-shot
    :parameters (?h - hand ?s - shot ?b - beverage)
    :precondition (and (holding ?h ?s) (contains ?s ?b))
    :effect (and (empty ?s)
                 (not (contains ?s ?b))))

  (:action clean-shot
    :parameters (?s - shot ?b - beverage ?h1 - hand ?h2 - hand)
    :precondition (and (holding ?h1 ?s) (handempty ?h2) (empty ?s) (used ?s ?b))
    :effect (and (clean ?s)
                 (not (used ?s ?b))))

  (:action pour-shot-to-clean-shaker
    :parameters (?s - shot ?i - ingredient ?k - shaker ?h1 - hand ?l - level ?l1 - level)
    :precondition (and (holding ?h1 ?s) (contains ?s ?i) (empty ?k) (clean ?k)
                       (shaker-level ?k ?l) (next ?l ?l1))
    :effect (and (empty ?s) (contains ?k ?i) (unshaked ?k) (shaker-level ?k ?l1)
                 (not (contains ?s ?i)) (not (empty ?k)) (not (clean ?k))
                 (not (shaker-level ?k ?l))))

  (:action pour-shot-to-used-shaker
    :parameters (?s - shot ?i - ingredient ?k - shaker ?h1 - hand ?l - level ?l1 - level)
    :precondition (and (holding ?h1 ?s) (contains ?s ?i) (unshaked ?k)
                       (shaker-level ?k ?l) (next ?l ?l1))
    :effect (and (empty ?s) (contains ?k ?i) (shaker-level ?k ?l1)
                 (not (contains ?s ?i)) (not (shaker-level ?k ?l))))

  (:action empty-shaker
    :parameters (?h - hand ?k - shaker ?c - cocktail ?l - level ?l1 - level)
    :precondition (and (holding ?h ?k) (contains ?k ?c) (shaked ?k)
                       (shaker-level ?k ?l) (shaker-empty-level ?k ?l1))
    :effect (and (empty ?k) (shaker-level ?k ?l1)
                 (not (shaked ?k)) (not (contains ?k ?c)) (not (shaker-level ?k ?l))))

  (:action clean-shaker
    :parameters (?h1 - hand ?h2 - hand ?k - shaker)
    :precondition (and (holding ?h1 ?k) (handempty ?h2) (empty ?k))
    :effect (and (clean ?k)))

  (:action shake
    :parameters (?c - cocktail ?i1 - ingredient ?i2 - ingredient ?k - shaker
                 ?h1 - hand ?h2 - hand)
    :precondition (and (holding ?h1 ?k) (handempty ?h2) (contains ?k ?i1) (contains ?k ?i2)
                       (cocktail-part1 ?c ?i1) (cocktail-part2 ?c ?i2) (unshaked ?k))
    :effect (and (shaked ?k) (contains ?k ?c)
                 (not (unshaked ?k)) (not (contains ?k ?i1)) (not (contains ?k ?i2))))

  (:action pour-shaker-to-shot
    :parameters (?b - beverage ?s - shot ?h - hand ?k - shaker ?l - level ?l1 - level)
    :precondition (and (holding ?h ?k) (shaked ?k) (empty ?s) (clean ?s) (contains ?k ?b)
                       (shaker-level ?k ?l) (next ?l1 ?l))
    :effect (and (contains ?s ?b) (used ?s ?b) (shaker-level ?k ?l1)
                 (not (clean ?s)) (not (empty ?s)) (not (shaker-level ?k ?l)))))
