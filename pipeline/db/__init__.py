"""Tables, migrations and the repository functions.

May import: schemas, the top of pipeline/.
"""
