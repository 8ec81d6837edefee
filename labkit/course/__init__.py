"""The instructors' tools: the student edition, grading, feedback, Gradescope.

Nothing here is needed to run the lab; students never import it. The map:

cells (nbgrader's marks on a notebook's cells), edition (the student edition: ``make
student``), strip (labkit without the exercises' solutions), specs (the code exercises: which
class, which arguments), probes (what is measured of a model), judge (a student's model
against labkit's, test by test), sandbox (the process a submission runs in), grader (a class
graded: ``make grade``), written (the written answers, page by question, marks by CSV),
feedback (one page per student and notebook), gradescope (the autograder bundle: ``make
gradescope``).

    python -m labkit.course student | grade | merge | gradescope | autograde
"""
