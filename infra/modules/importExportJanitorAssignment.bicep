// Assigns the custom role "Import/Export Janitor" to the janitor's identity on one target subscription.
// Deployed once per target subscription by main.bicep.
targetScope = 'subscription'

@description('Name (a GUID) of the custom role definition made by importExportJanitorRole.bicep.')
param roleGuid string

@description('Object (principal) id of the janitor\'s user-assigned managed identity.')
param principalId string

resource janitorRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleGuid)
    principalId: principalId
    // A fresh identity may not have replicated yet; naming its type skips the directory lookup.
    principalType: 'ServicePrincipal'
    description: 'importexport-janitor: read, cancel and delete Import/Export jobs in this subscription'
  }
}

output roleAssignmentId string = janitorRoleAssignment.id
