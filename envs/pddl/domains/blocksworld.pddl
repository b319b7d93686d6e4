; Blocks world with four operators: a single hand moves one block at a time
; between the table and the tops of towers.
(define (domain blocksworld)
  (:requirements :strips :typing)
  (:types block)
  (:predicates
    (on ?top - block ?below - block)
    (ontable ?b - block)
    (clear ?b - block)
    (handempty)
    (holding ?b - block))

  (:action pick-up
    :parameters (?b - block)
    :precondition (and (clear ?b) (ontable ?b) (handempty))
    :effect (and (holding ?b)
                 (not (ontable ?b)) (not (clear ?b)) (not (handempty))))

  (:action put-down
    :parameters (?b - block)
    :precondition (and (holding ?b))
    :effect (and (ontable ?b) (clear ?b) (handempty)
                 (not (holding ?b))))

  (:action stack
    :parameters (?b - block ?target - block)
    :precondition (and (holding ?b) (clear ?target))
    :effect (and (on ?b ?target) (clear ?b) (handempty)
                 (not (holding ?b)) (not (clear ?target))))

  (:action unstack
    :parameters (?b - block ?from - block)
    :precondition (and (on ?b ?from) (clear ?b) (handempty))
    :effect (and (holding ?b) (clear ?from)
                 (not (on ?b ?from)) (not (clear ?b)) (not (handempty)))))
