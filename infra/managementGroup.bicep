// Grants the janitor its least privilege on every subscription under a management group, instead of the
// list of target subscriptions in main.bicep. Deploy it after main.bicep, with the identity's principal id:
//   az deployment mg create --management-group-id <mg> --location <region> \
//     --template-file infra/managementGroup.bicep --parameters principalId=<JANITOR_IDENTITY_PRINCIPAL_ID>
// Subscriptions added to the management group later are covered without redeploying.
targetScope = 'managementGroup'

@description('Object (principal) id of the janitor\'s user-assigned managed identity: the JANITOR_IDENTITY_PRINCIPAL_ID output of main.bicep.')
param principalId string

@minLength(1)
@description('Display name of the custom role. Custom role names are unique per tenant: if main.bicep already made a role of this name for target subscriptions, choose another.')
param customRoleName string = 'Import/Export Janitor'

resource importExportJanitorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, customRoleName)
  properties: {
    roleName: customRoleName
    description: 'importexport-janitor: read, cancel and delete Azure Import/Export jobs (classic and Data Box). Nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ImportExport/jobs/read'
          'Microsoft.ImportExport/jobs/write'
          'Microsoft.ImportExport/jobs/delete'
          // Data Box jobs (Import/Export's newer experience): list and read, cancel, delete, and read a
          // delete's long-running operation. Not jobs/write, not listCredentials.
          'Microsoft.DataBox/jobs/read'
          'Microsoft.DataBox/jobs/cancel/action'
          'Microsoft.DataBox/jobs/delete'
          'Microsoft.DataBox/locations/operationResults/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      managementGroup().id
    ]
  }
}

resource janitorRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, importExportJanitorRole.id)
  properties: {
    roleDefinitionId: importExportJanitorRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'importexport-janitor: read, cancel and delete Import/Export jobs under this management group'
  }
}

output roleDefinitionId string = importExportJanitorRole.id
output roleAssignmentId string = janitorRoleAssignment.id
