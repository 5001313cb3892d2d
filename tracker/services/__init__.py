"""Services: the domain operations, and the only place with business rules.

Plain functions over a `Database`; each opens its own session for one unit of work and returns
plain data. No Textual, no Typer: the interfaces call these.
"""
