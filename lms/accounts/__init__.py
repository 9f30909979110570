"""People and organisations: users, associations, memberships, funders, access rules."""
