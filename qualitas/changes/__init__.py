"""Change control: change requests planned, approved by a board, carried out and verified."""
