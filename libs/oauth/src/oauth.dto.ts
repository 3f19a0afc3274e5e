import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { OAuthOutcome, OAuthOutcomeStatus } from './oauth.types';

/** The outcome of one authorization callback, as published on `auth:callback:{state}`. */
export class OAuthOutcomeDto implements OAuthOutcome {
  @ApiProperty({ example: 'notion' }) serverId: string;
  @ApiProperty({ description: 'The OAuth state of the authorization' }) state: string;
  @ApiProperty({ enum: ['authorized', 'error'] }) status: OAuthOutcomeStatus;
  @ApiPropertyOptional({ example: 'access_denied', description: 'OAuth error code, when status is error' })
  error?: string;
  @ApiPropertyOptional({ example: 'The resource owner denied the request' }) errorDescription?: string;
}

export class OAuthWaitQueryDto {
  @ApiProperty({ description: 'The state returned with the oauth_required problem' })
  @IsString()
  @Length(8, 256)
  state: string;
}
